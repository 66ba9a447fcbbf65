"""presidio, offline: no spaCy model download, no network call."""
from __future__ import annotations


def offline_nlp_engine():
    """A presidio NLP engine over spaCy's rule-based multi-language tokenizer.

    presidio needs tokens only to look for context words around a match; `spacy.blank("xx")`
    gives them without a model to download, and unlike `spacy.blank("ko")` it does not need
    mecab. Its named-entity list is empty: names are not detected (issue: no offline Korean NER).
    """
    import spacy
    from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
    from spacy.lang.lex_attrs import is_punct

    class _BlankSpacyEngine(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = {"ko": spacy.blank("xx")}

        def _doc_to_nlp_artifact(self, doc, language):
            # A blank pipeline has no lemmatiser, and presidio looks for context words among
            # lemmas: the lower-cased tokens stand in (연락처는 still contains 연락처).
            return NlpArtifacts(entities=[], tokens=doc, tokens_indices=[t.idx for t in doc],
                                lemmas=[t.text.lower() for t in doc], nlp_engine=self, language=language,
                                scores=[])

        # presidio looks every token up in the vocabulary (`vocab[word].is_stop`) to pick its
        # context keywords: a third of presidio's time here. The blank pipeline has no stop
        # words, and punctuation is a property of the string.
        def is_stopword(self, word: str, language: str) -> bool:
            return False

        def is_punct(self, word: str, language: str) -> bool:
            return is_punct(word)

    engine = _BlankSpacyEngine(models=[{"lang_code": "ko", "model_name": "blank"}])
    engine.load()
    return engine


def analyzer(recognizer_list, context_suffix: int = 3):
    """An AnalyzerEngine with exactly these recognizers for "ko" and Korean-friendly context.

    Korean puts context on either side (연락처: 010…, 010…로 연락), so words after the match
    count too; presidio's default looks only before it.
    """
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    registry = RecognizerRegistry(supported_languages=["ko"])
    for recognizer in recognizer_list:
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=offline_nlp_engine(), supported_languages=["ko"],
                          context_aware_enhancer=LemmaContextAwareEnhancer(context_prefix_count=5,
                                                                           context_suffix_count=context_suffix))
