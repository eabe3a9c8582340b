"""The README stands alone: every link and picture it uses is a file of the repository."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "assets" / "README.md",
]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def local_targets(document: Path) -> list[str]:
    targets = LINK.findall(document.read_text(encoding="utf-8"))
    return [t for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


def test_every_relative_link_is_a_file_inside_the_repository():
    checked = 0
    for document in DOCUMENTS:
        for target in local_targets(document):
            path = (document.parent / target.split("#")[0]).resolve()
            assert path.is_relative_to(ROOT), (
                f"{document.name} links outside the repository: {target}"
            )
            assert path.exists(), f"{document.name} links to a missing file: {target}"
            checked += 1
    assert checked >= 6  # the screenshots, the questions, the sample pictures


def test_the_questions_are_in_the_repository_and_linked():
    assert "docs/questions.md" in local_targets(ROOT / "README.md")
    questions = (ROOT / "docs" / "questions.md").read_text(encoding="utf-8")
    assert questions.count("\n1. ") == 1 and "\n6. " in questions
