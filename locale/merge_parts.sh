#!/usr/bin/env bash
# Build the French catalogue from the helpers' parts (issue 15), once, at merge time:
#
#   locale/merge_parts.sh            # then commit locale/fr/LC_MESSAGES/django.po and .mo
#
# 1. checks every locale/parts/*.po (msgfmt --check) and lists the msgids that two parts
#    translate differently (the part first in alphabetical order wins: fix the other);
# 2. extracts the marked strings afresh (makemessages, as `make messages` does);
# 3. fills every entry from a compendium of the parts (msgcat --use-first), then from the
#    previous catalogue if there was one (exact msgid/msgctxt matches only, never fuzzy);
# 4. reports the entries left untranslated or fuzzy, with their source references;
# 5. compiles django.mo (committed: nothing at run time needs gettext).
#
# Exits 0 when the catalogue is complete, 1 when entries are left untranslated or fuzzy
# (django.po and django.mo are written all the same), 2 on an error. Needs GNU gettext
# (Debian's `gettext`) and the project's .venv (`make` builds it). PY=... overrides Python.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
DIR=locale/fr/LC_MESSAGES
PO=$DIR/django.po
for tool in msgfmt msgcat msgmerge msgattrib xgettext; do
  command -v "$tool" >/dev/null || { echo "merge_parts: $tool missing (apt-get install gettext)" >&2; exit 2; }
done
# The directories makemessages skips: the Makefile's list, the one source.
read -r -a IGNORE <<<"$(sed -n 's/^MESSAGES_IGNORE := //p' Makefile)"
IGNORE_ARGS=("${IGNORE[@]/#/--ignore=}")

# The entries msgattrib lists, the header left out, blank lines between them.
entries_without_header() {
  awk 'BEGIN { RS = ""; ORS = "\n\n" } NR > 1' | sed 's/^./  &/'
}

shopt -s nullglob
PARTS=(locale/parts/*.po)
shopt -u nullglob
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "== Parts (${#PARTS[@]})"
for part in "${PARTS[@]}"; do
  msgfmt --check-format --check-domain -o /dev/null "$part" || { echo "merge_parts: $part is not valid" >&2; exit 2; }
  n=$(msgattrib --translated --no-fuzzy "$part" | grep -c '^msgid ' || true)
  echo "  $part: $((n > 0 ? n - 1 : 0)) translated"
  if [ -n "$(msgattrib --only-fuzzy "$part" | grep '^msgid ' | sed -n '2,$p')" ]; then
    echo "  merge_parts: $part has fuzzy entries; they are not used" >&2
  fi
done

# The translated entries of each part (msgattrib writes no file when there are none).
SOURCES=()
for part in "${PARTS[@]}"; do
  msgattrib --translated --no-fuzzy -o "$TMP/$(basename "$part")" "$part"
  [ -s "$TMP/$(basename "$part")" ] && SOURCES+=("$TMP/$(basename "$part")")
done
PART_SOURCES=("${SOURCES[@]}")
if [ -f "$PO" ]; then
  msgattrib --translated --no-fuzzy --no-obsolete -o "$TMP/previous.po" "$PO"
  [ -s "$TMP/previous.po" ] && SOURCES+=("$TMP/previous.po")
fi

if [ "${#PART_SOURCES[@]}" -gt 1 ]; then
  # Without --use-first, msgcat marks fuzzy the msgids whose translations differ.
  msgcat -o "$TMP/conflicts.po" "${PART_SOURCES[@]}"
  # The headers differ too: the first entry listed is the header.
  conflicts=$(msgattrib --only-fuzzy --no-wrap "$TMP/conflicts.po" | grep -c '^msgid ' || true)
  if [ "$conflicts" -gt 1 ]; then
    echo "== $((conflicts - 1)) msgid(s) translated differently by two parts (the first part wins):"
    msgattrib --only-fuzzy --no-wrap --no-location "$TMP/conflicts.po" | entries_without_header
  fi
fi
if [ "${#SOURCES[@]}" -gt 0 ]; then
  msgcat --use-first -o "$TMP/compendium.po" "${SOURCES[@]}"
else
  : >"$TMP/compendium.po"
fi

echo "== makemessages"
mkdir -p "$DIR"
[ -f "$PO" ] && mv "$PO" "$TMP/previous-full.po"
"$PY" manage.py makemessages -l fr --no-obsolete "${IGNORE_ARGS[@]}" -v 0
cp "$PO" "$TMP/extracted.po"

# The fresh header (fuzzy no more, Language: fr) without entries, then every entry of the
# extraction filled from the compendium.
awk 'NF == 0 { exit } { print }' "$TMP/extracted.po" >"$TMP/header.po"
sed -i -e '/^#, fuzzy$/d' -e 's/^"Language: \\n"$/"Language: fr\\n"/' "$TMP/header.po"
msgmerge --quiet --no-fuzzy-matching --compendium "$TMP/compendium.po" \
  -o "$PO" "$TMP/header.po" "$TMP/extracted.po"
sed -i -e '1,/^msgid ""$/{/^#, fuzzy$/d}' -e 's/^"Language: \\n"$/"Language: fr\\n"/' "$PO"

total=$(grep -c '^msgid ' "$PO")
untranslated=$(msgattrib --untranslated --no-fuzzy --no-wrap "$PO" | grep -c '^msgid ' || true)
fuzzy=$(msgattrib --only-fuzzy --no-wrap "$PO" | grep -c '^msgid ' || true)
# msgattrib writes the header along with any entry it keeps.
untranslated=$((untranslated > 0 ? untranslated - 1 : 0))
fuzzy=$((fuzzy > 0 ? fuzzy - 1 : 0))
echo "== $PO: $((total - 1)) entries, $untranslated untranslated, $fuzzy fuzzy"
if [ "$untranslated" -gt 0 ]; then
  echo "-- untranslated:"
  msgattrib --untranslated --no-fuzzy --no-wrap "$PO" | entries_without_header
fi
if [ "$fuzzy" -gt 0 ]; then
  echo "-- fuzzy:"
  msgattrib --only-fuzzy --no-wrap "$PO" | entries_without_header
fi

echo "== compilemessages"
"$PY" manage.py compilemessages -l fr "${IGNORE_ARGS[@]}" -v 0
echo "Done: commit $PO and $DIR/django.mo."
[ $((untranslated + fuzzy)) -eq 0 ] || exit 1
