"""One Markdown table row from `tryghed eval --json` on stdin: falls found,
recall, median delay, and the everyday activities (cases expecting no
fall) with a false fall or any false alarm."""
import json
import sys


def main():
    variant = sys.argv[1]
    report = json.load(sys.stdin)
    fall = report["kinds"]["fall"]
    everyday = [c for c in report["cases"] if not c["hits"] and not c["misses"]]
    false_fall = sum(any(k == "fall" for k, _ in c["false_alarms"]) for c in everyday)
    any_false = sum(bool(c["false_alarms"]) for c in everyday)
    recall = "n/a" if fall["recall"] is None else f"{fall['recall']:.2f}"
    delay = fall["median_delay_s"]
    delay = "n/a" if delay is None else f"{delay:.2f} s"
    n = len(everyday)
    print(
        f"| {variant} | {fall['hits']} of {fall['expected']} | {recall} | {delay} "
        f"| {false_fall} of {n} | {any_false} of {n} |"
    )


if __name__ == "__main__":
    main()
