#!/usr/bin/env python3
"""Verify an Accord export (JSON Lines) with no server and no database: standard library only.

    python3 verify_export.py accord-export.jsonl [--position N --hash HEX] [--documents DIR]

For every line it recomputes the event's hash from the stored JSON (the encoding documented in Accord's
domain/chain.py, repeated below so that this file stands alone), checks each aggregate's chain
(versions 1, 2, 3, ... each naming its predecessor's hash) and the running hash of the whole log, then
prints the digest (position, hash) of the last event. With --position and --hash it also proves that the
log up to that position equals a digest saved earlier.

Documents (``accord audit export --with-documents DIR``; by default the folder ``documents`` beside the export,
when there is one): every document an event binds to stored bytes (a reference with a ``size``) must be there
as DIR/<sha256>, and every document there that an event references must have the size and sha256 its name
and the event say; each missing or altered one is named. Exit status: 0 verified, 1 problems found, 2 usage.
"""

import argparse
import hashlib
import json
import os
import sys
import uuid

GENESIS = "0" * 64
NOT_HASHED = {"timestamp", "hash", "prev_hash", "originator_id", "originator_version"}
NOT_SHOWN = NOT_HASHED | {"by", "context", "originator_topic", "class_version", "token_sha256"}


def untagged(value):
    """A stored value as the export shows it: the transcoder's {"_type_", "_data_"} wrappers replaced by
    their data (UUIDs with dashes)."""
    if isinstance(value, dict):
        if set(value) == {"_type_", "_data_"}:
            if value["_type_"] == "uuid_hex":
                return str(uuid.UUID(value["_data_"]))
            return untagged(value["_data_"])
        return {str(k): untagged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [untagged(v) for v in value]
    return value


def event_hash(aggregate_id, version, topic, recorded_at, prev_hash, state):
    body = {
        "aggregate_id": uuid.UUID(aggregate_id).hex,
        "version": version,
        "type": topic,
        "recorded_at": recorded_at,
        "prev_hash": prev_hash,
        "state": {k: v for k, v in state.items() if k not in NOT_HASHED},
    }
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def references(data):
    """(sha256, size or None) of every document an event's data references: objects with a title and a sha256
    (a size when the event bound them to stored bytes)."""
    if isinstance(data, dict):
        if isinstance(data.get("sha256"), str) and "title" in data:
            yield data["sha256"], data.get("size")
        for value in data.values():
            yield from references(value)
    elif isinstance(data, list):
        for value in data:
            yield from references(value)


def file_digest(path):
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as data:
        while True:
            piece = data.read(1 << 18)
            if not piece:
                return digest.hexdigest(), size
            digest.update(piece)
            size += len(piece)


def check_documents(referenced, folder):
    """Problems with the documents ``referenced`` (sha256 -> (position, size or None)) in ``folder``; the
    number of documents checked."""
    problems, checked = [], 0
    for sha256, (position, size) in sorted(referenced.items(), key=lambda item: item[1][0]):
        path = os.path.join(folder, sha256)
        if not os.path.isfile(path):
            if size is not None:
                problems.append(f"document {sha256} (referenced at position {position}): missing from {folder}")
            continue
        checked += 1
        digest, found = file_digest(path)
        if digest != sha256:
            problems.append(f"document {sha256} (referenced at position {position}): altered: its bytes hash to "
                            f"{digest}")
        elif size is not None and found != size:
            problems.append(f"document {sha256} (referenced at position {position}): {found} bytes, not {size}")
    return problems, checked


def verify(lines, prove_position=None, prove_hash=None, referenced=None):
    problems, last, running, position, count, at_position = [], {}, GENESIS, 0, 0, None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        line = json.loads(text)
        stored = json.loads(line["stored"])
        where = f"line {number}, position {line['position']}, {line['aggregate_id']} v{line['version']}"
        if line["position"] <= position:
            problems.append(f"{where}: positions do not increase")
        position = line["position"]
        computed = event_hash(line["aggregate_id"], line["version"], line["topic"], stored["timestamp"]["_data_"],
                              stored["prev_hash"], stored)
        if computed != stored["hash"] or stored["hash"] != line["hash"]:
            problems.append(f"{where}: the event's content does not match its hash")
        by, context = untagged(stored.get("by", {})), untagged(stored.get("context") or {})
        shown = (line["actor"], line["role"], line["reason"], line["reference"])
        if shown != (by.get("name"), by.get("role"), context.get("reason"), context.get("reference")):
            problems.append(f"{where}: the decoded actor, role, reason or reference differ from the stored event")
        data = {k: untagged(v) for k, v in stored.items() if k not in NOT_SHOWN}
        if line["recorded_at"] != stored["timestamp"]["_data_"] or any(
                line["data"].get(k) != v for k, v in data.items()):
            problems.append(f"{where}: the decoded time or data differ from the stored event")
        version, previous = last.get(line["aggregate_id"], (0, GENESIS))
        if line["version"] != version + 1 or stored["prev_hash"] != previous:
            problems.append(f"{where}: the aggregate's chain is broken (after version {version})")
        last[line["aggregate_id"]] = (line["version"], stored["hash"])
        if referenced is not None:
            for sha256, size in references(line["data"]):
                first, known = referenced.get(sha256, (line["position"], None))
                referenced[sha256] = (first, known if known is not None else size)
        running = hashlib.sha256((running + stored["hash"]).encode("ascii")).hexdigest()
        if running != line["running_hash"]:
            problems.append(f"{where}: the running hash of the log does not match")
        if position == prove_position:
            at_position = running
        count += 1
    if prove_position is not None and at_position != prove_hash:
        problems.append(f"the log up to position {prove_position} differs from the saved digest"
                        if at_position else f"the export has no event at position {prove_position}")
    return problems, count, position, running


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="an export file from `accord audit export` or GET /api/v1/audit/export")
    parser.add_argument("--position", type=int, help="prove the log up to this position ...")
    parser.add_argument("--hash", help="... equals this saved digest (head_hash of an earlier verification)")
    parser.add_argument("--documents", help="the folder of the export's documents (default: documents beside it)")
    args = parser.parse_args(argv)
    if (args.position is None) != (args.hash is None):
        parser.error("give both --position and --hash, or neither")
    folder = args.documents or os.path.join(os.path.dirname(os.path.abspath(args.export)), "documents")
    if args.documents and not os.path.isdir(folder):
        parser.error(f"no folder {folder}")
    referenced = {} if os.path.isdir(folder) else None
    with open(args.export, encoding="utf-8") as lines:
        problems, count, position, running = verify(lines, args.position, args.hash, referenced)
    checked = 0
    if referenced is not None:
        found, checked = check_documents(referenced, folder)
        problems += found
    for problem in problems[:100]:
        print("problem:", problem)
    summary = {"ok": not problems, "events_checked": count, "head_position": position, "head_hash": running}
    if referenced is not None:
        summary["documents_checked"] = checked
    print(json.dumps(summary))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
