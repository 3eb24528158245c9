"""Hand-written ContextVQA records with the exact verdict ContextVQAFilter must give each.

Every case: a name, the record, the options (``{}``: the defaults), the indices of the QAs that
must be kept (None: the row is rejected) and the exact reasons, in order.
"""

LOUVRE = (
    "The Louvre is the world's most-visited art museum and a historic landmark in Paris, France. It is home "
    "to some of the best-known works of art, including the Mona Lisa and the Venus de Milo. The museum is "
    "housed in the Louvre Palace, originally built in the late 12th to 13th century under Philip II. "
    "Approximately 38,000 objects from prehistory to the 21st century are exhibited over an area of 72,735 "
    "square metres. In 2023 it received 8.9 million visitors, and it employs about 2,100 people across "
    "twelve curatorial departments."
)
BRIDGE = (
    "The Golden Gate Bridge is a suspension bridge spanning the Golden Gate strait, the one-mile-wide "
    "strait connecting San Francisco Bay and the Pacific Ocean. The structure links San Francisco to Marin "
    "County. It was designed by engineer Joseph Strauss in 1917 and opened in 1937, when it was the longest "
    "suspension bridge in the world, with a main span of 4,200 feet. The bridge is painted in a color known "
    "as international orange, chosen by the consulting architect Irving Morrow to complement its setting."
)
PHOTOGRAPHY = (
    "Photography is the art, application, and practice of creating durable images by recording light. The "
    "first permanent photograph of a camera scene was made in 1826 by Nicéphore Niépce in Burgundy. The "
    "daguerreotype process, announced in 1839, made photography commercially viable. Early photographs "
    "required exposure times of several minutes, so portrait sitters had to stay still. Color photography "
    "became widely available with Kodachrome film, introduced by Kodak in 1935, and digital cameras "
    "replaced film for most uses during the 2000s."
)
RETRIEVER = (
    "The golden retriever is a Scottish breed of retriever dog of medium-large size. It was developed in "
    "the 19th century by Dudley Marjoribanks, later Lord Tweedmouth, at his estate in the Scottish "
    "Highlands. The breed was first shown in 1908 and recognised by the Kennel Club in 1911. Golden "
    "retrievers are known for their gentle temperament, and they are among the most popular family dogs in "
    "the United States, where they rank third among registered breeds; a typical dog lives ten to twelve years."
)
CHINESE = (
    "卢浮宫是世界上参观人数最多的艺术博物馆，位于法国巴黎塞纳河右岸。馆内收藏有《蒙娜丽莎》和《米洛的维纳斯》等名作。"
    "博物馆所在的卢浮宫始建于十二世纪末，最初是菲利普二世修建的城堡。二〇二三年共接待游客约八百九十万人次。"
)
FULLWIDTH = (
    "Mount Fuji is the highest mountain in Japan, at ３,７７６ metres. It is an active stratovolcano that last "
    "erupted in 1707, about ２５０ kilometres from the northeastern edge of its range. Mount Fuji is a "
    "well-known symbol of Japan and is frequently depicted in art. It was added to the World Heritage List "
    "as a Cultural Site in 2013, and some 300,000 people climb it every year during the short summer season."
)

TWO_SENTENCES = ". ".join(LOUVRE.split(". ")[:2])  # 37 words, both in the article


def qa(question, answer):
    return {"question": question, "answer": answer}


def article(text, *qas):
    return {"context": text, "qas": list(qas)}


CASES = [
    # --- clean rows ---------------------------------------------------------------------------
    ("clean museum row", article(LOUVRE, qa("In which city is this museum?", "Paris"), qa("Which painting is its best known?", "Mona Lisa")), {}, [0, 1], []),
    ("clean bridge row", article(BRIDGE, qa("Who designed this structure?", "Joseph Strauss"), qa("When did it open?", "1937")), {}, [0, 1], []),
    ("answer with leading article matches", article(LOUVRE, qa("Where is it housed?", "The Louvre Palace")), {}, [0], []),
    ("answer without the article the text has", article(BRIDGE, qa("What colour is it painted?", "international orange")), {}, [0], []),
    ("case and punctuation differ", article(LOUVRE, qa("Which statue is there?", "venus de milo!")), {}, [0], []),
    ("digits for a number word in the text", article(LOUVRE, qa("How many curatorial departments are there?", "12")), {}, [0], []),
    ("number word for digits in the text", article(BRIDGE, qa("In what year was it designed?", "nineteen seventeen")), {}, None,
     ["qa[0]: answer_not_in_context", "row: no_qa_left"]),
    ("thousands separator dropped in the answer", article(LOUVRE, qa("How many objects are exhibited?", "38000")), {}, [0], []),
    ("thousands separator added in the answer", article(BRIDGE, qa("How long is the main span in feet?", "4,200 feet")), {}, [0], []),
    ("full-width digits in the text", article(FULLWIDTH, qa("How high is this mountain in metres?", "3776")), {}, [0], []),
    ("hyphenated words", article(BRIDGE, qa("How wide is the strait?", "one mile wide")), {}, [0], []),
    ("several answers listed with commas", article(LOUVRE, qa("Name two famous works it holds.", "Mona Lisa, Venus de Milo")), {}, [0], []),
    ("several answers, one missing", article(LOUVRE, qa("Name two famous works it holds.", "Mona Lisa, The Night Watch")), {}, None,
     ["qa[0]: answer_not_in_context", "row: no_qa_left"]),
    ("decimal number", article(LOUVRE, qa("How many millions visited in 2023?", "8.9 million")), {}, [0], []),
    ("apostrophe in the answer", article(LOUVRE, qa("What is it in terms of visitors?", "the world's most-visited art museum")), {}, [0], []),
    # --- answer not in the context --------------------------------------------------------------
    ("answer only inside a longer word", article(RETRIEVER, qa("Which county's breed is it?", "Scot")), {}, None,
     ["qa[0]: answer_not_in_context", "row: no_qa_left"]),
    ("answer inside a longer number", article(LOUVRE, qa("How many people does it employ?", "100")), {}, None,
     ["qa[0]: answer_not_in_context", "row: no_qa_left"]),
    ("one good one bad QA", article(BRIDGE, qa("Which county does it link to?", "Marin County"), qa("Who painted it?", "Pablo Picasso")), {}, [0],
     ["qa[1]: answer_not_in_context"]),
    ("SK-VQA row rule keeps the row for one found answer", article(BRIDGE, qa("Which county does it link to?", "Marin County"), qa("Who painted it?", "Pablo Picasso")),
     {"answer_in_context": "row"}, [0, 1], []),
    ("SK-VQA row rule rejects a row with no found answer", article(BRIDGE, qa("Who painted it?", "Pablo Picasso"), qa("Who paid?", "Bill Gates")),
     {"answer_in_context": "row"}, None, ["row: answer_not_in_context", "row: no_qa_left"]),
    ("answer check switched off", article(BRIDGE, qa("Who painted it?", "Pablo Picasso")), {"answer_in_context": None}, [0], []),
    # --- image references ----------------------------------------------------------------------
    ("this image", article("This image shows a golden retriever on a porch. " + RETRIEVER, qa("When was the breed recognised?", "1911")), {}, None,
     ["row: image_reference"]),
    ("the image shows", article(RETRIEVER + " The image shows one resting in the grass.", qa("When was it first shown?", "1908")), {}, None,
     ["row: image_reference"]),
    ("in the picture", article("In the picture, a bridge crosses a strait. " + BRIDGE, qa("When did it open?", "1937")), {}, None,
     ["row: image_reference"]),
    ("the photo", article(BRIDGE + " The photo was taken at sunset from Baker Beach.", qa("When did it open?", "1937")), {}, None,
     ["row: image_reference"]),
    ("pictured above", article(BRIDGE.replace("The structure links", "The structure, pictured above, links"), qa("When did it open?", "1937")), {}, None,
     ["row: image_reference"]),
    ("depicted in this photograph", article("The dog depicted in this photograph is a golden retriever. " + RETRIEVER, qa("When was it recognised?", "1911")), {},
     None, ["row: image_reference"]),
    ("an article about photography is fine", article(PHOTOGRAPHY, qa("Who made the first permanent photograph?", "Nicéphore Niépce")), {}, [0], []),
    ("the word rule rejects photography", article(PHOTOGRAPHY, qa("Who made the first permanent photograph?", "Nicéphore Niépce")),
     {"image_reference": "word"}, None, ["row: image_reference"]),
    ("a photo finish is not the photo", article(BRIDGE + " A 1987 race across it ended in a photo finish.", qa("When did it open?", "1937")), {}, [0], []),
    ("public image is not a picture", article(LOUVRE + " Its public image improved after the 1989 pyramid.", qa("Which city is it in?", "Paris")), {}, [0], []),
    ("image check switched off", article("This image shows a golden retriever. " + RETRIEVER, qa("When was it recognised?", "1911")),
     {"image_reference": None}, [0], []),
    # --- context length ----------------------------------------------------------------------------
    ("empty context", article("   ", qa("What is it?", "A bridge")), {}, None, ["row: empty_context"]),
    ("short context", article("The Golden Gate Bridge opened in 1937 in San Francisco.", qa("When did it open?", "1937")), {}, None,
     ["row: short_context"]),
    ("short context allowed when the minimum is lowered", article("The Golden Gate Bridge opened in 1937 in San Francisco.", qa("When did it open?", "1937")),
     {"min_context_words": 5}, [0], []),
    # --- QA checks ----------------------------------------------------------------------------
    ("empty question", article(LOUVRE, qa("", "Paris"), qa("Which city?", "Paris")), {}, [1], ["qa[0]: empty_question"]),
    ("empty answer", article(LOUVRE, qa("Which city?", "  "), qa("Which country?", "France")), {}, [1], ["qa[0]: empty_answer"]),
    ("answer of punctuation only is empty", article(LOUVRE, qa("Which city?", "..."), qa("Which country?", "France")), {}, [1], ["qa[0]: empty_answer"]),
    ("long answer", article(LOUVRE, qa("Describe it.", TWO_SENTENCES), qa("Which country?", "France")), {}, [1], ["qa[0]: answer_too_long"]),
    ("long answer allowed when the maximum is raised", article(LOUVRE, qa("Describe it.", TWO_SENTENCES)), {"max_answer_words": 40}, [0], []),
    ("a 17-word answer is under the limit", article(LOUVRE, qa("Describe it.", LOUVRE.split(". ")[0])), {}, [0], []),
    ("question contains its answer", article(BRIDGE, qa("Did Joseph Strauss design this bridge?", "Joseph Strauss"), qa("When did it open?", "1937")), {}, [1],
     ["qa[0]: answer_in_question"]),
    ("answer word inside a longer question word is fine", article(RETRIEVER, qa("What is the Scottishness of this breed's origin: which lord?", "Lord Tweedmouth")), {}, [0], []),
    ("repeated question keeps the first", article(LOUVRE, qa("Which city is it in?", "Paris"), qa("Which city is it in?", "Paris, France"),
                                                   qa("which city is it in", "France")), {}, [0], ["qa[1]: duplicate_question", "qa[2]: duplicate_question"]),
    ("repeated question check off", article(LOUVRE, qa("Which city is it in?", "Paris"), qa("Which city is it in?", "France")),
     {"reject_duplicate_questions": False}, [0, 1], []),
    ("several problems in one QA", article(LOUVRE, qa("Is the answer the Eiffel Tower?", "the Eiffel Tower")), {}, None,
     ["qa[0]: answer_not_in_context", "qa[0]: answer_in_question", "row: no_qa_left"]),
    ("no QAs at all", article(LOUVRE), {}, None, ["row: no_qa_left"]),
    ("failed generation record", {"context": "", "qas": []}, {}, None, ["row: empty_context"]),
    ("not a record", None, {}, None, ["row: invalid_record"]),
    ("a QA that is not an object", article(LOUVRE, "Paris?", qa("Which country?", "France")), {}, [1], ["qa[0]: invalid_qa"]),
    # --- other scripts ------------------------------------------------------------------------
    ("Chinese article and answer", article(CHINESE, qa("这座博物馆位于哪个城市？", "巴黎"), qa("馆内有哪幅名画？", "《蒙娜丽莎》")), {}, [0, 1], []),
    ("Chinese answer not in the article", article(CHINESE, qa("这座博物馆位于哪个城市？", "伦敦")), {}, None,
     ["qa[0]: answer_not_in_context", "row: no_qa_left"]),
]
