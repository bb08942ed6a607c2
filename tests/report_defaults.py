"""The rule of docs/report-schema.json's connection object, for the end-to-end tests: a
connection written without --keep-defaults is the --keep-defaults one with every member that
holds its default removed, innermost first (tests/test_report_json.c applies the same rule to
its scenarios)."""

# Written whatever their value: the round trips (absent means not measured) and ports.
ALWAYS_WRITTEN = {"rtt_us", "rtt_server_side_us", "rtt_client_side_us", "capture_near", "port"}
# Objects whose absence reads as null, so an empty one stays.
NULLABLE_OBJECTS = {"tls", "starttls", "certificate", "recent_records", "fin", "rst"}


def _is_default(name, v):
    if name in ALWAYS_WRITTEN:
        return False
    if v is None:
        return True
    if name == "resync_offset":
        return False
    if isinstance(v, bool):
        return v is False
    if isinstance(v, int):
        return v == 0
    if isinstance(v, list):
        return not v
    if isinstance(v, dict):
        return not v and name not in NULLABLE_OBJECTS
    return False


def drop_defaults(obj):
    """A copy of the --keep-defaults object obj without its default members."""
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            v = drop_defaults(v)
        elif isinstance(v, list):
            v = [drop_defaults(e) if isinstance(e, dict) else e for e in v]
        if not _is_default(k, v):
            out[k] = v
    return out


def compare_forms(full_doc, compact_doc):
    """None when compact_doc is full_doc with each connection's defaults dropped and nothing else
    changed; else a description of the first difference."""
    fc, cc = full_doc["connections"], compact_doc["connections"]
    if len(fc) != len(cc):
        return f"{len(fc)} connections with --keep-defaults, {len(cc)} without"
    for f, c in zip(fc, cc):
        want = drop_defaults(f)
        if want != c or list(want) != list(c):
            return f"{f.get('id')}: want {want}, got {c}"
    rest_f = {k: v for k, v in full_doc.items() if k != "connections"}
    rest_c = {k: v for k, v in compact_doc.items() if k != "connections"}
    if rest_f != rest_c:
        return "the document outside its connections differs"
    return None
