#!/usr/bin/env python3
"""Parameter files with another drive record, for the response CLI tests.

usage: response_drive_files.py RESPONSE_PARAMS PD_FILE OUT_DIR
Writes to OUT_DIR: pd4.json (PD_FILE with ki_s_ketamine x 4), dpd.json (RESPONSE_PARAMS
whose drive.pd_file is pd4.json), div.json (drive.iv_model kamp-2020), dnone.json (no
drive record, as older files)."""
import json
import sys

params, pd, out = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
pd["parameters"]["ki_s_ketamine"]["value"] *= 4
json.dump(pd, open(out + "/pd4.json", "w"))
params["drive"]["pd_file"] = out + "/pd4.json"
json.dump(params, open(out + "/dpd.json", "w"))
params["drive"]["pd_file"] = "data/pd-acute.json"
params["drive"]["iv_model"] = "kamp-2020"
json.dump(params, open(out + "/div.json", "w"))
del params["drive"]
json.dump(params, open(out + "/dnone.json", "w"))
