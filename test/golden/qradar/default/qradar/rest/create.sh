#!/bin/bash
# Creates the custom event properties and/or the QID map entries of the CyberTrace events for site
# example-site through the QRadar REST API (API version 17.0, QRadar 7.3.1 and later).
#
#   read -rs -p 'QRadar service token (not shown): ' QRADAR_TOKEN && export QRADAR_TOKEN
#   QRADAR_CONSOLE=https://192.0.2.60 ./create.sh properties|qids|all
#
# The token is read from the environment and handed to curl in a header file (-H @file, here a file
# descriptor), so it is on no command line. Needs bash, curl 7.55 or later and python3 (JSON handling).
# Run once: a second run creates the properties and QID entries again.
set -euo pipefail

what=${1:-}
case "$what" in properties|qids|all) ;; *) echo "usage: $0 properties|qids|all" >&2; exit 2;; esac
if [ -z "$(printenv QRADAR_TOKEN)" ]; then echo "set QRADAR_TOKEN to an authorized service token (Admin > Authorized Services)" >&2; exit 2; fi
CONSOLE=${QRADAR_CONSOLE:-'https://192.0.2.60'}
here=$(cd "$(dirname "$0")" && pwd)

# api METHOD PATH [curl options]: the JSON answer on stdout; an HTTP error stops the script.
api() {
  local method=$1 path=$2
  shift 2
  curl --silent --show-error --fail-with-body -X "$method" \
    -H @<(printf 'SEC: %s\nVersion: 17.0\nAccept: application/json\n' "$QRADAR_TOKEN") \
    "$@" "$CONSOLE/api/$path"
}

post() {
  api POST "$1" -H 'Content-Type: application/json' --data-binary "$2"
}

count() { python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$1"; }

# body FILE INDEX [NAME=JSON ...]: item INDEX of the JSON list in FILE, with the fields added.
body() {
  python3 -c '
import json, sys
item = json.load(open(sys.argv[1]))[int(sys.argv[2])]
for arg in sys.argv[3:]:
    name, value = arg.split("=", 1)
    item[name] = json.loads(value)
print(json.dumps(item))' "$@"
}

# field NAME: a field of the JSON object on stdin, as JSON.
field() { python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)[sys.argv[1]]))' "$1"; }

type_id=$(api GET 'config/event_sources/log_source_management/log_source_types?filter=name%3D%22Universal%20LEEF%22&fields=id' |
  python3 -c 'import json, sys; t = json.load(sys.stdin); sys.exit("QRadar has no log source type named Universal LEEF") if not t else print(t[0]["id"])')
echo "Universal LEEF log source type: $type_id"

if [ "$what" = properties ] || [ "$what" = all ]; then
  n=$(count "$here/regex_properties.json")
  for ((i = 0; i < n; i++)); do
    id=$(post config/event_sources/custom_properties/regex_properties "$(body "$here/regex_properties.json" "$i")" | field identifier)
    post config/event_sources/custom_properties/property_leef_expressions \
      "$(body "$here/property_leef_expressions.json" "$i" "regex_property_identifier=$id" "log_source_type_id=$type_id")" >/dev/null
    echo "custom property $((i + 1)) of $n: $id"
  done
fi

if [ "$what" = qids ] || [ "$what" = all ]; then
  n=$(count "$here/qid_records.json")
  for ((i = 0; i < n; i++)); do
    qid=$(post data_classification/qid_records "$(body "$here/qid_records.json" "$i" "log_source_type_id=$type_id")" | field id)
    post data_classification/dsm_event_mappings \
      "$(body "$here/dsm_event_mappings.json" "$i" "log_source_type_id=$type_id" "qid_record_id=$qid")" >/dev/null
    echo "QID map entry $((i + 1)) of $n: QID record $qid"
  done
fi
echo 'Done. Select Admin > Deploy Changes in QRadar.'
