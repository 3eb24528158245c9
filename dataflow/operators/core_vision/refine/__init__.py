from dataflow.text.wikiqa.parser import parse_wiki_qa
from dataflow.operators.core_vision.refine.wikiqa_refiner import WikiQARefiner

__all__ = ["WikiQARefiner", "parse_wiki_qa"]
