#!/usr/bin/python3
"""deid_check.py - test data and checks for the built-in module deidentify.

Run with /usr/bin/python3 (Debian's pydicom). The expected results are computed here, from
common/dcm/deid_table.def and an independent HMAC-SHA256 of the key, so the test checks the C code
against the table and the documented derivations, not against itself.

  gen     --out DIR [--study-uid U] [--series-uid U] [--count N] [--burned-in YES|NO]
          [--nest N] [--seed N]
      DIR/<series>#<sop>.dcm: every attribute of Table E.1-1 (groups 0008 and up; the repeating
      groups as 5000 and 6000) with a value of its VR, each sequence with one item holding a
      PersonName (D), OtherPatientIDs (X), a ReferencedSOPInstanceUID (U) and a CodeValue (not
      listed); a private block (0009,0010) ACME with
      (0009,1001) and (0009,1002); descriptors that contain the patient's name and ID. --nest N
      instead writes one instance whose sequences nest N deep.
  check   --table DEF --in DIR --out DIR --key-file F [--options a,b] [--keep-private g,e]
          [--patient-id V --patient-name V] [--shift-max N]
      every attribute of every output file has the action of the table for these options; the
      patient identity, the marks of PS3.15 E.1.1, the file meta header and the file name too.
  uids    DIR       print "<file> <Study> <Series> <SOP>" per file, sorted by SOP.
"""
import argparse
import hashlib
import hmac
import os
import re
import sys
import warnings

warnings.filterwarnings("ignore", category=UserWarning)

import pydicom  # noqa: E402
from pydicom.datadict import dictionary_VR  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402

ROOT = "1.2.826.0.1.3680043.9.7777.55"
CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
PATIENT_NAME = "Doe^Johnathan"
PATIENT_ID = "PID12345"
ACCESSION = "ACC98765"
BIRTH = "19700101"
OPTION_COLUMNS = ["retain_full_dates", "retain_modified_dates", "clean_descriptors", "retain_uids",
                  "retain_device_identity", "retain_patient_characteristics",
                  "retain_institution_identity", "clean_graphics", None]
METHOD_CODES = {"retain_full_dates": "113106", "retain_modified_dates": "113107",
                "clean_descriptors": "113105", "retain_uids": "113110",
                "retain_device_identity": "113109", "retain_patient_characteristics": "113108",
                "retain_institution_identity": "113112", "clean_graphics": "113103"}
TEXT_VRS = {"LO", "LT", "SH", "ST", "UT", "UC"}
# the other VRs DCMTK holds as strings (C cleans them; it removes binary values)
STRING_VRS = {"AE", "AS", "CS", "DS", "IS", "PN", "UI", "UR"}
FAILURES = []


def bad(msg):
    FAILURES.append(msg)


def read_table(path):
    rows = []
    pat = re.compile(r'DEID_ATTR\(0x([0-9A-F]{4}), 0x([0-9A-F]{4}), 0x([0-9A-F]{4}), '
                     r'0x([0-9A-F]{4}), "([^"]*)", ([YN]), (\w+), (.*)\)$')
    for line in open(path, encoding="ascii"):
        m = pat.match(line.strip())
        if m:
            opts = [o.strip() for o in m.group(8).split(",")]
            rows.append({"group": int(m.group(1), 16), "element": int(m.group(2), 16),
                         "gmask": int(m.group(3), 16), "emask": int(m.group(4), 16),
                         "name": m.group(5), "basic": m.group(7), "options": opts})
    if len(rows) < 500:
        sys.exit("deid_check: only %d rows in %s" % (len(rows), path))
    return rows


def vr_of(row):
    tag = (row["group"] << 16) | row["element"]
    try:
        vr = dictionary_VR(tag)
    except KeyError:
        name = row["name"]
        vr = ("SQ" if "Sequence" in name else "UI" if name.endswith("UID") else
              "DT" if name.endswith("DateTime") else "DA" if name.endswith("Date") else
              "TM" if name.endswith("Time") else "LO")
    return vr.split(" ")[0]


def row_tag(row):
    if row["emask"] == 0:
        return (row["group"] << 16) | 0x0010  # one element of curve data
    return (row["group"] << 16) | row["element"]


def table_rows(rows):
    """the rows the generator writes: dataset attributes (no command, meta, DICOMDIR groups)"""
    out = []
    for r in rows:
        if r["group"] in (0x0000, 0x0002, 0x0004):
            continue
        if (r["group"], r["element"]) in ((0x0010, 0x0010), (0x0010, 0x0020)):
            continue  # the patient identity, written and checked apart
        out.append(r)
    return out


def value_for(vr, tag, n):
    g, e = tag >> 16, tag & 0xFFFF
    if vr == "AE":
        return "PHIAE%04X" % e
    if vr == "AS":
        return "045Y"
    if vr == "AT":
        return 0x00100010
    if vr == "CS":
        return "PHICS%04X" % e
    if vr == "DA":
        return "20200115"
    if vr == "DT":
        return "20200115101010"
    if vr == "TM":
        return "101010"
    if vr in ("DS",):
        return "1.5"
    if vr == "IS":
        return "7"
    if vr in ("FL", "FD"):
        return 1.5
    if vr in ("SL", "SS", "UL", "US", "SV", "UV"):
        return 7
    if vr == "PN":
        return "Phi%04X^Person" % e
    if vr == "UI":
        return "%s.9.%d" % (ROOT, n)
    if vr == "UR":
        return "http://phi.example/%04X" % e
    if vr == "SH":
        return "P%04X%04X Doe" % (g, e)
    if vr in TEXT_VRS:
        return "PHI %04X,%04X Doe %s" % (g, e, PATIENT_ID)
    return b"\x01\x02\x03\x04"  # OB OW OF OD OL OV UN


def item(n):
    it = Dataset()
    it.add_new(0x0040A123, "PN", "Nested^Phi")
    it.add_new(0x00101000, "LO", "PHIOTHERID")
    it.add_new(0x00081155, "UI", "%s.8.%d" % (ROOT, n))
    it.add_new(0x00080100, "SH", "PHICODE")
    return it


def base_dataset(args, sop):
    ds = Dataset()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_CLASS
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = EXPLICIT_LE
    meta.SourceApplicationEntityTitle = "PHISENDER"
    ds.file_meta = meta
    ds.SOPClassUID = CT_CLASS
    ds.Modality = "CT"
    ds.PatientName = PATIENT_NAME
    ds.PatientID = PATIENT_ID
    ds.Rows, ds.Columns = 2, 2
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
    ds.SamplesPerPixel, ds.PixelRepresentation = 1, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = b"\x00\x01" * 4
    ds.add_new(0x00090010, "LO", "ACME")
    ds.add_new(0x00091001, "LO", "PHIPRIV")
    ds.add_new(0x00091002, "LO", "KEEPME")
    # a sequence the table does not list: kept, its items de-identified
    ds.add_new(0x00082218, "SQ", Sequence([item(999)]))
    return ds


def gen(args):
    rows = table_rows(read_table(args.table))
    os.makedirs(args.out, exist_ok=True)
    for i in range(args.count):
        sop = "%s.3.%d.%d" % (ROOT, args.seed, i)
        ds = base_dataset(args, sop)
        if args.nest:
            inner = Dataset()
            inner.CodeValue = "DEEP"
            for _ in range(args.nest):
                outer = Dataset()
                outer.add_new(0x00082218, "SQ", Sequence([inner]))
                inner = outer
            ds.add_new(0x00082218, "SQ", inner[0x00082218].value)
        else:
            for n, r in enumerate(rows):
                tag = row_tag(r)
                vr = vr_of(r)
                if vr == "SQ":
                    ds.add_new(tag, "SQ", Sequence([item(n)]))
                else:
                    ds.add_new(tag, vr, value_for(vr, tag, n))
        ds.PatientName, ds.PatientID = PATIENT_NAME, PATIENT_ID
        ds.AccessionNumber = ACCESSION
        ds.PatientBirthDate = BIRTH
        ds.StudyInstanceUID = args.study_uid or "%s.1.%d" % (ROOT, args.seed)
        ds.SeriesInstanceUID = args.series_uid or "%s.2.%d" % (ROOT, args.seed)
        ds.SOPInstanceUID = sop
        ds.BurnedInAnnotation = args.burned_in
        ds.StudyDescription = "CT Doe %s head" % PATIENT_ID
        ds.is_little_endian, ds.is_implicit_VR = True, False
        name = "%s#%s.dcm" % (ds.SeriesInstanceUID, sop)
        ds.save_as(os.path.join(args.out, name), write_like_original=False)
    return 0


# ---------------------------------------------------------------------------------------------
# expectations

def mac(key, prefix, data):
    return hmac.new(key, prefix + data.encode(), hashlib.sha256).digest()


def new_uid(key, uid):
    return "2.25.%d" % int.from_bytes(mac(key, b"", uid)[:16], "big")


def hash_hex(key, pid):
    return mac(key, b"patient:", pid).hex().upper()[:12]


def shift_days(key, pid, max_days):
    return -1 - int.from_bytes(mac(key, b"dateshift:", pid)[:8], "big") % max_days


def shift(value, days):
    import datetime
    d = datetime.date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    d += datetime.timedelta(days=days)
    return d.strftime("%Y%m%d") + value[8:]


def action(row, options):
    act = row["basic"]
    for col, o in zip(OPTION_COLUMNS, row["options"]):
        if col is None or col not in options:
            continue
        if o == "K":
            return "K"
        if o == "C":
            act = "C"
    return act


# where clean descriptors takes the patient's identifiers from, in its order
TOKEN_SOURCES = [0x00100010, 0x00100020, 0x00101000, 0x00080050, 0x00100030, 0x00101005,
                 0x00101060]


def tokens(orig):
    out = []
    for tag in TOKEN_SOURCES:
        v = str(orig[tag].value) if tag in orig else ""
        out += [t.lower() for t in re.split(r"[\^= \\,]", v) if len(t) >= 3]
    return out


def cleaned(text, orig):
    low = text.lower()
    for t in tokens(orig):
        while t in low:
            at = low.index(t)
            text, low = text[:at] + text[at + len(t):], low[:at] + low[at + len(t):]
    return text


def text(v):
    return str(v).rstrip(" \x00") if v is not None else ""


def check_item(key, it, where):
    if (0x0010, 0x1000) in it:
        bad("%s: nested OtherPatientIDs (X) kept" % where)
    pn = it.get((0x0040, 0xA123))
    if pn is None or str(pn.value) != "ANONYMIZED":
        bad("%s: nested PersonName (D) is not the dummy" % where)
    ref = it.get((0x0008, 0x1155))
    if ref is None or not str(ref.value).startswith("2.25."):
        bad("%s: nested ReferencedSOPInstanceUID not remapped" % where)
    code = it.get((0x0008, 0x0100))
    if code is None or text(code.value) != "PHICODE":
        bad("%s: nested CodeValue (not listed) not kept" % where)


def check_sequence(key, el, where, options):
    if "retain_uids" in options:
        return
    for i, it in enumerate(el.value):
        check_item(key, it, "%s item %d" % (where, i))


def check_one(row, el, orig, ds_orig, key, options, shift_by):
    where = "(%04X,%04X) %s [%s]" % (row["group"], row["element"], row["name"],
                                     ",".join(sorted(options)) or "basic")
    act = action(row, options)
    vr = vr_of(row)
    if act == "X" or (act == "C" and vr not in TEXT_VRS | STRING_VRS | {"SQ", "DA", "DT", "TM"}):
        if el is not None:
            bad("%s: X but present" % where)
        return
    if el is None:
        bad("%s: %s but absent" % (where, act))
        return
    v = el.value
    if act in ("Z", "ZD", "XZ", "XZD"):
        if (vr == "SQ" and len(v) != 0) or (vr != "SQ" and v not in (None, "", b"")):
            bad("%s: %s but not empty: %r" % (where, act, v))
    elif act in ("D", "XD"):
        if vr == "SQ":
            check_sequence(key, el, where, options)
        elif v in (None, "", b"") and vr not in ("OB", "OW", "UN", "UR", "OF", "OD"):
            bad("%s: D but empty" % where)
        elif vr == "UI" and str(v) != new_uid(key, orig):
            bad("%s: D on a UID is not the keyed UID" % where)
        elif vr != "UI" and v == orig and vr not in ("OB", "OW", "UN", "OF", "OD"):
            bad("%s: D but unchanged" % where)
    elif act == "U":
        want = new_uid(key, orig)
        if str(v) != want:
            bad("%s: U gave %s, want %s" % (where, v, want))
    elif act == "K":
        if vr == "SQ":
            return
        if (text(v) if isinstance(v, str) else v) != (text(orig) if isinstance(orig, str)
                                                      else orig):
            bad("%s: K but changed: %r -> %r" % (where, orig, v))
    elif act == "C":
        check_clean(where, vr, el, (orig, ds_orig), key, options, shift_by)
    elif act == "XZU":
        if vr == "SQ":
            check_sequence(key, el, where, options)
        elif v not in (None, ""):
            bad("%s: X/Z/U* on a non-sequence not empty" % where)


def check_clean(where, vr, el, orig, key, options, shift_by):
    orig, ds_orig = orig
    v = el.value
    if vr == "SQ":
        check_sequence(key, el, where, options)
    elif vr in ("DA", "DT") and "retain_modified_dates" in options:
        if str(v) != shift(orig, shift_by):
            bad("%s: C shifted %s to %s, want %s" % (where, orig, v, shift(orig, shift_by)))
    elif vr == "TM":
        if text(v) != orig:
            bad("%s: C changed a time" % where)
    elif isinstance(orig, str):
        if text(v) != cleaned(orig, ds_orig).rstrip():
            bad("%s: C gave %r, want %r" % (where, v, cleaned(orig, ds_orig)))
    elif v != orig:
        bad("%s: C changed a number %r to %r" % (where, orig, v))


def check_identity(ds, orig, key, args, options):
    h = hash_hex(key, PATIENT_ID)
    want_id = (args.patient_id or "ANON-{hash}").replace("{hash}", h)
    want_name = (args.patient_name or "ANONYMOUS^{hash}").replace("{hash}", h)
    if text(ds.PatientID) != want_id:
        bad("PatientID is %r, want %r" % (ds.PatientID, want_id))
    if str(ds.PatientName) != want_name:
        bad("PatientName is %r, want %r" % (str(ds.PatientName), want_name))
    if ds.get("PatientIdentityRemoved") != "YES":
        bad("PatientIdentityRemoved is not YES")
    if not ds.get("DeidentificationMethod"):
        bad("no DeidentificationMethod")
    codes = sorted(text(i.CodeValue) for i in ds.get("DeidentificationMethodCodeSequence", []))
    want = sorted(["113100"] + [METHOD_CODES[o] for o in options] +
                  (["113111"] if args.keep_private else []))
    if codes != want:
        bad("DeidentificationMethodCodeSequence %s, want %s" % (codes, want))
    ltim = ("UNMODIFIED" if "retain_full_dates" in options else
            "MODIFIED" if "retain_modified_dates" in options else "REMOVED")
    if ds.get("LongitudinalTemporalInformationModified") != ltim:
        bad("LongitudinalTemporalInformationModified %r, want %s" %
            (ds.get("LongitudinalTemporalInformationModified"), ltim))


def check_private(ds, args):
    keep = set(args.keep_private.split(",")) if args.keep_private else set()
    keep = {int(k.replace(",", ""), 16) for k in
            (args.keep_private.split(";") if args.keep_private else [])}
    for tag, want in ((0x00091001, 0x00091001 in keep), (0x00091002, 0x00091002 in keep),
                      (0x00090010, bool(keep))):
        if (tag in ds) != want:
            bad("private (%04X,%04X): %s, want %s" % (tag >> 16, tag & 0xFFFF,
                                                     "present" if tag in ds else "absent",
                                                     "present" if want else "absent"))


def check_file(path, orig, key, rows, args, options):
    ds = pydicom.dcmread(path)
    shift_by = shift_days(key, PATIENT_ID, args.shift_max)
    for n, r in enumerate(rows):
        tag = row_tag(r)
        if tag not in orig:
            continue
        check_one(r, ds.get(tag), orig[tag].value if orig[tag].VR != "SQ" else None, orig, key,
                  options, shift_by)
    check_identity(ds, orig, key, args, options)
    check_private(ds, args)
    if "retain_uids" not in options:
        check_sequence(key, ds[0x00082218], "(0008,2218) not listed", options)
    if ds.Modality != "CT" or ds.Rows != 2 or ds.PixelData != orig.PixelData:
        bad("attributes outside the table changed")
    if ds.file_meta.MediaStorageSOPInstanceUID != ds.SOPInstanceUID:
        bad("meta MediaStorageSOPInstanceUID is not the new SOPInstanceUID")
    if "SourceApplicationEntityTitle" in ds.file_meta:
        bad("meta SourceApplicationEntityTitle kept")
    want_name = "%s#%s.dcm" % (ds.SeriesInstanceUID, ds.SOPInstanceUID)
    if os.path.basename(path) != want_name:
        bad("file name %s, want %s" % (os.path.basename(path), want_name))
    return ds


def check(args):
    rows = table_rows(read_table(args.table))
    key = open(args.key_file, "rb").read().rstrip(b"\r\n")
    options = set(o for o in (args.options or "").split(",") if o)
    ins = {}
    for f in sorted(os.listdir(args.in_dir)):
        if f.endswith(".dcm"):
            d = pydicom.dcmread(os.path.join(args.in_dir, f))
            ins[str(d.SOPInstanceUID)] = d
    outs = sorted(f for f in os.listdir(args.out_dir) if f.endswith(".dcm"))
    if len(outs) != len(ins):
        bad("%d files out for %d in" % (len(outs), len(ins)))
    for f in outs:
        ds = pydicom.dcmread(os.path.join(args.out_dir, f), stop_before_pixels=True)
        sop = [u for u in ins if new_uid(key, u) == ds.SOPInstanceUID or
               ("retain_uids" in options and u == ds.SOPInstanceUID)]
        if len(sop) != 1:
            bad("%s: no input instance maps to it" % f)
            continue
        check_file(os.path.join(args.out_dir, f), ins[sop[0]], key, rows, args, options)
    for m in FAILURES[:60]:
        print("deid_check: " + m, file=sys.stderr)
    if FAILURES:
        print("deid_check: %d failures" % len(FAILURES), file=sys.stderr)
        return 1
    print("checked %d files, %d table rows, options=%s" % (len(outs), len(rows),
                                                          ",".join(sorted(options)) or "-"))
    return 0


def list_uids(args):
    lines = []
    for f in os.listdir(args.dir):
        if f.endswith(".dcm"):
            d = pydicom.dcmread(os.path.join(args.dir, f), stop_before_pixels=True)
            lines.append("%s %s %s %s" % (f, d.StudyInstanceUID, d.SeriesInstanceUID,
                                          d.SOPInstanceUID))
    for line in sorted(lines, key=lambda s: s.split()[3]):
        print(line)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--table", required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--study-uid")
    g.add_argument("--series-uid")
    g.add_argument("--count", type=int, default=1)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--burned-in", default="NO")
    g.add_argument("--nest", type=int, default=0)
    c = sub.add_parser("check")
    c.add_argument("--table", required=True)
    c.add_argument("--in", dest="in_dir", required=True)
    c.add_argument("--out", dest="out_dir", required=True)
    c.add_argument("--key-file", required=True)
    c.add_argument("--options")
    c.add_argument("--keep-private", help="gggg,eeee;gggg,eeee")
    c.add_argument("--patient-id")
    c.add_argument("--patient-name")
    c.add_argument("--shift-max", type=int, default=365)
    u = sub.add_parser("uids")
    u.add_argument("dir")
    args = p.parse_args()
    return {"gen": gen, "check": check, "uids": list_uids}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
