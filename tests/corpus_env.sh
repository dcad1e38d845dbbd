# Sourced by the corpus checks: where the corpus is, and whether its absence
# fails the check. `root` is $KSYM_CORPUS, else $KSYM_CACHE/corpus, else
# $HOME/.cache/ksym/corpus; `required` is 1 when CI=true or
# KSYM_REQUIRE_CORPUS=1 (else a check without the corpus skips, exit 77).
if [ -n "${KSYM_CORPUS:-}" ]; then root=$KSYM_CORPUS
elif [ -n "${KSYM_CACHE:-}" ]; then root=$KSYM_CACHE/corpus
else root=${HOME:-/root}/.cache/ksym/corpus
fi
required=0
if [ "${CI:-}" = true ] || [ "${KSYM_REQUIRE_CORPUS:-}" = 1 ]; then required=1; fi
