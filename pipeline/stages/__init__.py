"""One module per stage; the registry maps config names to stage classes."""
from pipeline.stages.exact_dedup import ExactDedupStage
from pipeline.stages.langid import LangIdStage
from pipeline.stages.minhash_dedup import MinhashDedupStage
from pipeline.stages.ngram_repetition import NgramRepetitionStage
from pipeline.stages.normalize import NormalizeStage
from pipeline.stages.pii import PiiStage
from pipeline.stages.quality import QualityStage
from pipeline.stages.train_tokenizer import TrainTokenizerStage

STAGES = {cls.name: cls for cls in (NormalizeStage, LangIdStage, QualityStage, PiiStage, ExactDedupStage,
                                    MinhashDedupStage, NgramRepetitionStage, TrainTokenizerStage)}
