"""Questions 1, 3, 4 and 5 of shared/questions.md, each answered by one link with a correct answer.

Each test opens the link headless, reads the generated Markdown answer from the share panel and
checks its numbers against what the question's answer must say (worked out by hand here, not
taken from the app).
"""

from conftest import open_link

#: The links, as the README gives them.
QUESTION_LINKS = {
    1: "/?n=20&c=10&h=5&w=5&cell=0,3,2,2",
    3: "/?source=samples&samples=sunset,sea,leaves,fruit&cell=1,0,5,5",
    4: "/compare?schemes=batch,batch-pixel&n=8&c=16&h=5&w=5",
    5: "/compare?schemes=batch-location,batch-pixel,batch&n=2&c=3&h=4&w=4",
}


def answer_for(link: str) -> str:
    at = open_link(link)
    assert not at.warning, [w.value for w in at.warning]  # nothing in the link was replaced
    answers = [c.value for c in at.code if c.language == "markdown"]
    assert len(answers) == 1
    # Read it as a person would: without Markdown's escapes.
    return answers[0].replace("\\", "")


def test_question_1_spatial_locations():
    answer = answer_for(QUESTION_LINKS[1])
    assert "10 means and 10 variances, each over 20 × 5 × 5 = 500 values" in answer
    assert "γ and β have 10 entries each" in answer
    assert "m′ = N × H × W = 20 × 5 × 5 = 500" in answer
    assert "BatchNorm2d" in answer
    assert "?n=20&c=10&h=5&w=5&cell=0,3,2,2" in answer  # the link reopens this view


def test_question_3_rgb_pictures_one_mean_per_colour_channel():
    answer = answer_for(QUESTION_LINKS[3])
    # 4 pictures of 32 × 32 (the default size), 3 colour channels: one pair per channel.
    assert "3 means and 3 variances, each over 4 × 32 × 32 = 4,096 values" in answer
    assert "(N, C, H, W) = (4, 3, 32, 32)" in answer
    assert "4 pictures brought to 32 × 32" in answer


def test_question_4_gamma_beta_per_channel_not_per_activation():
    answer = answer_for(QUESTION_LINKS[4])
    rows = [line for line in answer.splitlines() if line.startswith("| Batch norm")]
    assert len(rows) == 2
    per_channel, per_activation = rows
    assert "| 16 | N × H × W = 8 × 5 × 5 = 200 | (16,): 16 each |" in per_channel
    assert "| 400 | N = 8 | (16, 5, 5): 400 each |" in per_activation
    assert "BatchNormalization(axis=-1)" in answer and "keep the channel axis" in answer


def test_question_5_three_methods_side_by_side():
    answer = answer_for(QUESTION_LINKS[5])
    rows = [line for line in answer.splitlines() if line.startswith("| Batch norm")]
    assert len(rows) == 3
    location, activation, channel = rows
    assert "| 16 | N × C = 2 × 3 = 6 |" in location  # method 1: each (h, w) over N and C
    assert "| 48 | N = 2 |" in activation  # method 2: each (c, h, w) over N
    assert "| 3 | N × H × W = 2 × 4 × 4 = 32 |" in channel  # method 3: batch norm in CNNs
    assert "BatchNorm2d" in channel
    assert "The cell (0, 0, 0, 0) falls in" in answer
