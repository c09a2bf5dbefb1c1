"""How selective is the prefilter? Per rule, the share of a corpus's Python files whose
bytes contain the rule's trigger tokens, i.e. the files that rule makes the engine parse.

    python bench/prefilter_stats.py freqtrade ccxt generated /work/shared/corpus

A rule that triggers on most files of a corpus that has nothing for it to find (ccxt's
own sources, freqtrade) is the first place to look when the cold scan is slow. Uses
apisec_lint's own ``Session.triggered``, so it must run in an environment where the
project is installed; it reads bytes only and parses nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import corpora


def stats(root: Path) -> None:
    from apisec_lint.packs import load_knowledge
    from apisec_lint.pipeline import Session
    from apisec_lint.rule import Registry
    from apisec_lint.types import Config, FileKind

    registry = Registry.load()
    config = Config(root=str(root))
    enabled = registry.select(config.select, config.ignore, config.extend_select)
    session = Session(registry, load_knowledge(config.packs), config, enabled)
    files = corpora.python_files(root) if root.is_dir() else [root]
    hits: Counter[str] = Counter()
    hit_lines: Counter[str] = Counter()
    parsed = parsed_lines = total_lines = 0
    for path in files:
        data = path.read_bytes()
        lines = data.count(b"\n")
        total_lines += lines
        rules = session.triggered(session.rules_for(path.as_posix(), FileKind.PYTHON), data)
        checks = [r for r in rules if not r.code.startswith("APS0")]
        for rule in checks:
            hits[rule.code] += 1
            hit_lines[rule.code] += lines
        if checks:
            parsed += 1
            parsed_lines += lines
    n = max(len(files), 1)
    print(f"{root}: {len(files):,} files, {total_lines:,} lines; parsed (any rule triggered): "
          f"{parsed:,} files ({parsed / n:.0%}), {parsed_lines:,} lines "
          f"({parsed_lines / max(total_lines, 1):.0%})")
    names = {r.code: r.name for r in registry.rules}
    for code, count in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {code} {names[code]:<44} {count:>6,} files ({count / n:4.0%})"
              f" {hit_lines[code]:>9,} lines")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("targets", nargs="+", metavar="TARGET",
                   help=f"a corpus name ({', '.join(corpora.CORPORA)}) or a file or folder")
    p.add_argument("--generated-files", type=int, default=corpora.GENERATED_FILES)
    p.add_argument("--cache", type=Path, default=corpora.CACHE)
    args = p.parse_args(argv)
    for spec in args.targets:
        if spec in corpora.CORPORA and not Path(spec).exists():
            for case in corpora.cases([spec], generated_files=args.generated_files,
                                      cache=args.cache, log=lambda m: print(m, file=sys.stderr)):
                stats(case.source / case.target[len("src/"):] if case.single_file
                      else case.source)
        else:
            stats(Path(spec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
