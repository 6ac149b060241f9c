#!/usr/bin/env bash
# What the local stack needs from the machine itself; `make` runs this before installing.
set -u
missing=()
command -v "${PYTHON:-python3.11}" >/dev/null 2>&1 || missing+=("Python 3.11 (python3.11)")
"${PYTHON:-python3.11}" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 11))' \
  2>/dev/null || missing+=("Python 3.11 with the venv module (found: $(${PYTHON:-python3} --version 2>&1))")
command -v java >/dev/null 2>&1 || missing+=("Java 17 or newer (java), for the Firestore and Pub/Sub emulators")
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing+=("Node.js 20 and npm, for the Auth emulator")
platform=/usr/lib/google-cloud-sdk/platform
if command -v gcloud >/dev/null 2>&1; then
  platform="$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null)/platform"
fi
ls "$platform"/cloud-firestore-emulator/cloud-firestore-emulator.jar >/dev/null 2>&1 \
  || missing+=("google-cloud-cli with the Firestore emulator (apt: google-cloud-cli-firestore-emulator)")
ls "$platform"/pubsub-emulator/lib/cloud-pubsub-emulator-*.jar >/dev/null 2>&1 \
  || missing+=("google-cloud-cli with the Pub/Sub emulator (apt: google-cloud-cli-pubsub-emulator)")
if ((${#missing[@]})); then
  echo "This machine lacks what the Trivsel stack needs:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi
