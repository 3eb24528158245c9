"""Text rules shared by operators: normalising and matching answers (``match``), finding articles
that point at their image (``image_reference``), and the WikiQA parser (``wikiqa``)."""
