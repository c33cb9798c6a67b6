#!/usr/bin/python3
"""gen_dicom.py - deterministic DICOM test data and checks for the integration tests.

Run with /usr/bin/python3 (Debian's pydicom + numpy; the pyenv python3 on PATH cannot see them).

Generation (every UID derives from --seed, so two runs give identical files):
  series   --out DIR [--seed N] [--modality CT|MR] [--count N] [--rows R] [--cols C]
           [--charset ascii|latin1|utf8|japanese] [--vr explicit|implicit]
           [--study-uid U] [--series-uid U] [--sop-uid U] [--series-number N]
           [--manifest FILE] [--jpeg] [--variant N]
      Writes DIR/<n>.dcm (Part 10 files) and a JSON manifest (default: DIR.json, a sibling of DIR,
      so that `storescu +sd DIR` never meets a non-DICOM file). UID overrides are written as given,
      even when invalid ("../../x", 70 characters): they exist for negative tests. --jpeg compresses
      every file to JPEG Lossless SV1 with DCMTK's dcmcjpeg (manifest says so).
  bad      --out DIR --kind truncated|garbage|header-only [--seed N]
      truncated:   a valid CT file cut in the middle of its PixelData (storescu refuses to load it).
      garbage:     random bytes with a DICM preamble.
      header-only: Part 10 file whose dataset stops inside the first element (value length runs
                   past the end of the file).
  bench    --out DIR [--small N] [--ct N]
      DIR/small/ (N 64x64 16-bit MR images, ~10 KB) and DIR/ct/ (N 512x512 16-bit CT slices, ~525 KB).

Checks (each prints every difference and exits 1 on any):
  compare   MANIFEST STORAGE_ROOT [--layout receiver|getdcmtags]
      every manifest instance exists exactly once at STORAGE/incoming/<series>/<sop>.dcm, with every
      dataset element (PixelData included) equal to the sent file, and no other .dcm in those series.
  journal   MANIFEST STORAGE_ROOT [--sender-aet A] [--receiver-aet A] [--sender-address IP]
            [--expect-lines N]
      each series dir has a journal; one line per instance (or N lines per instance), keys and values
      as the spec says, tags with the expected UTF-8 values.
  messages  MANIFEST MSGFILE [--sender-aet A] [--receiver-aet A]
      the mc-msgdump JSON lines: one instance message per manifest instance, fields and tags right.
  tagsfiles MANIFEST INCOMING_DIR [--sender-aet A] [--receiver-aet A] [--sender-address IP]
            [--journal-root STORAGE_ROOT]
      getdcmtags layout: <series>/<sop>.dcm + <sop>.tags, .tags with expected values; with
      --journal-root, each .tags equals the receiver journal's tags for the same SOP (except
      SenderAddress and time fields).
  tagsjson  MANIFEST JSONFILE --sop UID
      output of `getdcmtags --json` for one instance has the expected tag values.

Manifest helpers:
  merge   --out OUT MANIFEST...             concatenate manifests
  filter  MANIFEST OUT --files LIST [--exclude]
      keep the instances whose sent file path is (or with --exclude: is not) listed in LIST; prints
      the number kept.

Raw sender (for datasets storescu refuses to send):
  rawsend  HOST PORT FILE [--sop-class UID] [--sop-uid UID] [--ts UID] [--aec AE] [--aet AE]
      minimal DICOM upper layer SCU: associates with one presentation context, sends the bytes of
      FILE as the C-STORE dataset (after skipping a Part 10 preamble + meta if present and --raw-dataset
      is not given), prints `status=0xNNNN` and exits 0 when a C-STORE-RSP arrived.
"""

import argparse
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import warnings

# invalid UIDs and odd values are written on purpose for negative tests
warnings.filterwarnings("ignore", category=UserWarning)

ROOT = "1.2.826.0.1.3680043.9.7777"

CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"
MR_CLASS = "1.2.840.10008.5.1.4.1.1.4"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"

# Text per charset: (SpecificCharacterSet value(s), PatientName, StudyDescription,
# SeriesDescription, InstitutionName, ReferringPhysicianName). Values are Python str; pydicom
# encodes them with the dataset's character set on write, so the expected UTF-8 is the str.
CHARSETS = {
    "ascii": (None, "Doe^John", "Head routine", "Axial", "General Hospital", "Welby^Marcus"),
    "latin1": ("ISO_IR 100", "Müller^Jörg", "Schädel nativ", "Axiale Schnitte ÄÖÜß",
               "Klinikum Köln", "Grün^Käthe"),
    "utf8": ("ISO_IR 192", "Ωμέγα^Δέλτα", "Κρανίο εγκέφαλος", "Серия аксиальная 😀",
             "Νοσοκομείο Αθηνών", "Ζήτα^Ήτα"),
    # chrH31.dcm's name: Romanised = Kanji = Hiragana, JIS X 0208 through ISO 2022 escapes.
    "japanese": (["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう", "頭部CT",
                 "横断像", "東京病院", "佐藤^花子"),
}


def die(msg):
    print("gen_dicom: " + msg, file=sys.stderr)
    sys.exit(1)


def _pydicom():
    try:
        import pydicom  # noqa: F401
        import numpy  # noqa: F401
    except ImportError:
        die("pydicom/numpy missing: run me with /usr/bin/python3")
    import pydicom
    return pydicom


# ---------------------------------------------------------------------------------------------
# generation

def uids(seed, series_number):
    study = "%s.1.%d" % (ROOT, seed)
    series = "%s.2.%d.%d" % (ROOT, seed, series_number)
    return study, series


def sop_uid(seed, series_number, i):
    return "%s.3.%d.%d.%d" % (ROOT, seed, series_number, i)


def pixels(seed, i, rows, cols, modality):
    import numpy as np
    rng = np.random.default_rng(seed * 100003 + i)
    y, x = np.mgrid[0:rows, 0:cols]
    cy, cx = rows / 2.0, cols / 2.0
    r = np.hypot((y - cy) / max(rows, 1), (x - cx) / max(cols, 1))
    base = np.where(r < 0.4, 1000 + 40 * i, 0).astype(np.int32)
    noise = rng.integers(0, 64, size=(rows, cols), dtype=np.int32)
    img = base + noise + ((x + y + i) % 256)
    if modality == "CT":
        img = np.clip(img, 0, 4095)
    else:
        img = np.clip(img, 0, 65535)
    return img.astype("<u2")


def make_dataset(seed, series_number, i, modality, rows, cols, charset, study_uid, series_uid,
                 sop, variant=0):
    pydicom = _pydicom()
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID

    cs, pname, study_desc, series_desc, inst, refphys = CHARSETS[charset]
    sop_class = CT_CLASS if modality == "CT" else MR_CLASS
    ds = Dataset()
    if cs is not None:
        ds.SpecificCharacterSet = cs
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop
    ds.StudyDate = "20240102"
    ds.SeriesDate = "20240102"
    ds.AcquisitionDate = "20240102"
    ds.StudyTime = "101500"
    ds.SeriesTime = "101600.%06d" % series_number
    ds.AcquisitionTime = "101700"
    ds.AccessionNumber = "ACC%05d" % seed
    ds.Modality = modality
    ds.Manufacturer = "MercureTest"
    ds.InstitutionName = inst
    ds.ReferringPhysicianName = refphys
    ds.StationName = "STATION%d" % (seed % 100)
    ds.StudyDescription = study_desc
    ds.SeriesDescription = series_desc
    ds.ManufacturerModelName = "GenDicom %s" % modality
    ds.PatientName = pname
    ds.PatientID = "PID%05d" % seed
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.BodyPartExamined = "HEAD"
    ds.SliceThickness = "1.5"
    ds.SoftwareVersions = "gen_dicom 1"
    ds.ProtocolName = "Proto %s %d" % (modality, series_number)
    if modality == "MR":
        ds.ScanningSequence = "SE"
        ds.SequenceVariant = "NONE"
        ds.MagneticFieldStrength = "3"
        ds.SequenceName = "se2d1"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = "S%d" % seed
    ds.SeriesNumber = str(series_number)
    ds.AcquisitionNumber = "1"
    ds.InstanceNumber = str(i + 1)
    ds.ImagePositionPatient = ["0", "0", "%d" % (i * 2)]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = "%s.4.%d" % (ROOT, seed)
    ds.SliceLocation = "%d" % (i * 2)
    ds.ImageComments = "image %d of seed %d" % (i + 1, seed)
    if variant:
        ds.ImageComments += " variant %d" % variant
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = cols
    ds.PixelSpacing = ["0.5", "0.5"]
    ds.BitsAllocated = 16
    ds.BitsStored = 12 if modality == "CT" else 16
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0
    if modality == "CT":
        ds.RescaleIntercept = "-1024"
        ds.RescaleSlope = "1"
        ds.WindowCenter = "40"
        ds.WindowWidth = "400"
    ds.PixelData = pixels(seed + 7919 * variant, i, rows, cols, modality).tobytes()
    return ds, sop_class


def write_part10(ds, sop_class, path, implicit):
    pydicom = _pydicom()
    from pydicom.dataset import FileMetaDataset
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = IMPLICIT_LE if implicit else EXPLICIT_LE
    meta.ImplementationClassUID = ROOT + ".0.1"
    meta.ImplementationVersionName = "GENDICOM1"
    ds.file_meta = meta
    ds.preamble = b"\0" * 128
    ds.is_little_endian = True
    ds.is_implicit_VR = implicit
    # write_like_original=False: write a proper Part 10 file with the meta group length.
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid UIDs are written on purpose
        pydicom.dcmwrite(path, ds, write_like_original=False)


def expected_tags(ds, charset):
    cs = CHARSETS[charset][0]
    if cs is None:
        cs_str = ""
    elif isinstance(cs, list):
        cs_str = "\\".join(cs)
    else:
        cs_str = cs
    t = {
        "SpecificCharacterSet": cs_str,
        "Modality": ds.Modality,
        "PatientName": str(ds.PatientName),
        "PatientID": ds.PatientID,
        "PatientBirthDate": ds.PatientBirthDate,
        "PatientSex": ds.PatientSex,
        "AccessionNumber": ds.AccessionNumber,
        "ReferringPhysicianName": str(ds.ReferringPhysicianName),
        "StudyDescription": ds.StudyDescription,
        "SeriesDescription": ds.SeriesDescription,
        "InstitutionName": ds.InstitutionName,
        "Manufacturer": ds.Manufacturer,
        "ManufacturerModelName": ds.ManufacturerModelName,
        "StationName": ds.StationName,
        "BodyPartExamined": ds.BodyPartExamined,
        "ProtocolName": ds.ProtocolName,
        "StudyID": ds.StudyID,
        "SeriesNumber": str(ds.SeriesNumber),
        "InstanceNumber": str(ds.InstanceNumber),
        "AcquisitionNumber": str(ds.AcquisitionNumber),
        "StudyInstanceUID": ds.StudyInstanceUID,
        "SeriesDate": ds.SeriesDate,
        "SeriesTime": ds.SeriesTime,
        "AcquisitionDate": ds.AcquisitionDate,
        "AcquisitionTime": ds.AcquisitionTime,
        "SliceThickness": str(ds.SliceThickness),
        "SoftwareVersions": ds.SoftwareVersions,
        "ImageComments": ds.ImageComments,
        "ImageType": "\\".join(ds.ImageType),
    }
    if ds.Modality == "MR":
        t.update({"ScanningSequence": ds.ScanningSequence,
                  "SequenceVariant": ds.SequenceVariant,
                  "MagneticFieldStrength": str(ds.MagneticFieldStrength),
                  "SequenceName": ds.SequenceName})
    return t


def cmd_series(a):
    if a.count < 1:
        die("--count must be >= 1")
    if a.sop_uid and a.count != 1:
        die("--sop-uid needs --count 1")
    os.makedirs(a.out, exist_ok=True)
    study, series = uids(a.seed, a.series_number)
    study = a.study_uid if a.study_uid is not None else study
    series = a.series_uid if a.series_uid is not None else series
    manifest_path = a.manifest or (a.out.rstrip("/") + ".json")
    entries = []
    for i in range(a.count):
        sop = a.sop_uid if a.sop_uid else sop_uid(a.seed, a.series_number, i)
        ds, sop_class = make_dataset(a.seed, a.series_number, i, a.modality, a.rows, a.cols,
                                     a.charset, study, series, sop, a.variant)
        path = os.path.join(a.out, "%s%04d.dcm" % (a.prefix, i + 1))
        write_part10(ds, sop_class, path, a.vr == "implicit")
        ts = IMPLICIT_LE if a.vr == "implicit" else EXPLICIT_LE
        if a.jpeg:
            tmp = path + ".raw"
            os.rename(path, tmp)
            r = subprocess.run(["dcmcjpeg", "+e1", tmp, path], capture_output=True, text=True)
            if r.returncode != 0:
                die("dcmcjpeg failed on %s: %s" % (tmp, r.stderr))
            os.unlink(tmp)
            ts = JPEG_LOSSLESS_SV1
        entries.append({
            "file": os.path.abspath(path),
            "study": study, "series": series, "sop": sop, "sop_class": sop_class,
            "transfer_syntax": ts, "size": os.path.getsize(path),
            "charset": a.charset,
            "tags": expected_tags(ds, a.charset),
        })
    manifest = {"v": 1, "seed": a.seed, "instances": entries}
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    print(manifest_path)


def cmd_bad(a):
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "%s.dcm" % a.kind)
    if a.kind == "garbage":
        import random
        rng = random.Random(a.seed)
        body = bytes(rng.randrange(256) for _ in range(4096))
        with open(path, "wb") as f:
            f.write(b"\0" * 128 + b"DICM" + body)
    else:
        study, series = uids(a.seed, 1)
        ds, sop_class = make_dataset(a.seed, 1, 0, "CT", 64, 64, "ascii", study, series,
                                     sop_uid(a.seed, 1, 0))
        write_part10(ds, sop_class, path, False)
        data = open(path, "rb").read()
        if a.kind == "truncated":
            data = data[:len(data) - 64 * 64]  # half of the 8 KB PixelData is gone
        elif a.kind == "header-only":
            # keep preamble + meta; then an element header with a length beyond the end
            import pydicom
            meta_len = struct.unpack("<I", data[128 + 4 + 8:128 + 4 + 12])[0]
            end_meta = 128 + 4 + 12 + meta_len
            data = data[:end_meta] + struct.pack("<HH2sH", 0x0008, 0x0005, b"CS", 200) + b"ISO_"
        else:
            die("unknown --kind " + a.kind)
        with open(path, "wb") as f:
            f.write(data)
    print(path)


def cmd_bench(a):
    for sub, n, mod, rows in (("small", a.small, "MR", 64), ("ct", a.ct, "CT", 512)):
        d = os.path.join(a.out, sub)
        os.makedirs(d, exist_ok=True)
        seed = 9001 if sub == "small" else 9002
        study, series = uids(seed, 1)
        for i in range(n):
            path = os.path.join(d, "%05d.dcm" % (i + 1))
            if os.path.exists(path):
                continue
            ds, sop_class = make_dataset(seed, 1, i, mod, rows, rows, "ascii", study, series,
                                         sop_uid(seed, 1, i))
            write_part10(ds, sop_class, path, False)
    print(a.out)


# ---------------------------------------------------------------------------------------------
# checks

class Problems:
    def __init__(self, what):
        self.what = what
        self.items = []

    def add(self, msg):
        self.items.append(msg)

    def finish(self, ok_msg):
        if self.items:
            print("FAIL %s: %d problem(s)" % (self.what, len(self.items)), file=sys.stderr)
            for m in self.items[:60]:
                print("  - " + m, file=sys.stderr)
            if len(self.items) > 60:
                print("  ... and %d more" % (len(self.items) - 60), file=sys.stderr)
            sys.exit(1)
        print("ok %s: %s" % (self.what, ok_msg))


def load_manifest(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["instances"]


def _val(elem):
    v = elem.value
    if elem.tag == 0x7FE00010 or isinstance(v, (bytes, bytearray)):
        return hashlib.sha256(bytes(v) if v is not None else b"").hexdigest()
    from pydicom.multival import MultiValue
    if isinstance(v, (list, tuple, MultiValue)):
        return [_val_item(x) for x in v]
    return str(v)


def _val_item(x):
    if hasattr(x, "elements") or hasattr(x, "keys"):  # a sequence item (Dataset)
        return [(str(e.tag), _val(e)) for e in x]
    return str(x)


def dataset_diff(sent_path, got_path):
    pydicom = _pydicom()
    diffs = []
    a = pydicom.dcmread(sent_path)
    b = pydicom.dcmread(got_path)
    ta = {e.tag for e in a}
    tb = {e.tag for e in b}
    for t in sorted(ta - tb):
        diffs.append("element %s (%s) missing in received" % (t, a[t].keyword))
    for t in sorted(tb - ta):
        diffs.append("element %s (%s) not in sent file" % (t, b[t].keyword))
    for t in sorted(ta & tb):
        va, vb = _val(a[t]), _val(b[t])
        if va != vb:
            diffs.append("element %s (%s) differs: sent %r received %r" % (t, a[t].keyword,
                                                                           va, vb))
    # raw pixel data bytes (also for encapsulated data)
    if "PixelData" in a and "PixelData" in b and a.PixelData != b.PixelData:
        diffs.append("PixelData bytes differ")
    fm = b.file_meta if hasattr(b, "file_meta") else None
    if fm is None or "TransferSyntaxUID" not in fm:
        diffs.append("received file has no file meta TransferSyntaxUID")
    else:
        if fm.get("MediaStorageSOPInstanceUID") != a.SOPInstanceUID:
            diffs.append("meta MediaStorageSOPInstanceUID %r != %r"
                         % (fm.get("MediaStorageSOPInstanceUID"), a.SOPInstanceUID))
        if fm.get("MediaStorageSOPClassUID") != a.SOPClassUID:
            diffs.append("meta MediaStorageSOPClassUID %r != %r"
                         % (fm.get("MediaStorageSOPClassUID"), a.SOPClassUID))
        sent_ts = a.file_meta.TransferSyntaxUID
        if sent_ts.is_compressed and fm.TransferSyntaxUID != sent_ts:
            diffs.append("transfer syntax %s != sent %s" % (fm.TransferSyntaxUID, sent_ts))
    return diffs


def cmd_compare(a):
    p = Problems("compare " + os.path.basename(a.manifest))
    inst = load_manifest(a.manifest)
    inc = os.path.join(a.storage, "incoming") if a.layout == "receiver" else a.storage
    by_series = {}
    for e in inst:
        by_series.setdefault(e["series"], set()).add(e["sop"])
    for e in inst:
        got = os.path.join(inc, e["series"], e["sop"] + ".dcm")
        if not os.path.isfile(got):
            p.add("missing %s (sop %s from %s)" % (got, e["sop"], os.path.basename(e["file"])))
            continue
        for d in dataset_diff(e["file"], got):
            p.add("%s: %s" % (got, d))
    for series, sops in by_series.items():
        d = os.path.join(inc, series)
        if not os.path.isdir(d):
            continue
        dcms = sorted(f for f in os.listdir(d) if f.endswith(".dcm"))
        extra = [f for f in dcms if f[:-4] not in sops]
        if extra and not a.allow_extra:
            p.add("series %s holds unexpected files: %s" % (series, extra[:5]))
        others = [f for f in os.listdir(d)
                  if not f.endswith(".dcm") and f != "journal" and not f.endswith(".tags")]
        if others:
            p.add("series %s holds stray files: %s" % (series, others[:5]))
    p.finish("%d instances in %d series identical to what was sent" % (len(inst), len(by_series)))


def check_tags(p, where, tags, expect, sender_aet=None, receiver_aet=None, sender_address=None):
    if not isinstance(tags, dict):
        p.add("%s: tags is not an object: %r" % (where, tags))
        return
    for k, v in expect.items():
        if k not in tags:
            p.add("%s: tag %s missing (expected %r)" % (where, k, v))
        elif tags[k] != v:
            p.add("%s: tag %s = %r, expected %r" % (where, k, tags[k], v))
    for k, v in (("SenderAET", sender_aet), ("ReceiverAET", receiver_aet),
                 ("SenderAddress", sender_address)):
        if v is not None and tags.get(k) != v:
            p.add("%s: tag %s = %r, expected %r" % (where, k, tags.get(k), v))
    for k, v in tags.items():
        if not isinstance(v, str):
            p.add("%s: tag %s is not a string: %r" % (where, k, v))
        elif "\ufffd" in v:
            p.add("%s: tag %s holds a replacement character: %r" % (where, k, v))


def read_journal(path, p):
    lines = []
    with open(path, "rb") as f:
        raw = f.read()
    if raw and not raw.endswith(b"\n"):
        p.add("%s: does not end with a newline (partial line?)" % path)
    for n, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            lines.append(json.loads(line.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as ex:
            p.add("%s:%d: not valid UTF-8 JSON (%s): %r" % (path, n, ex, line[:120]))
    return lines


JOURNAL_KEYS = ["v", "sop", "file", "size", "time_us", "study", "series", "sop_class",
                "sender_address", "sender_aet", "receiver_aet", "tags"]


def cmd_journal(a):
    p = Problems("journal " + os.path.basename(a.manifest))
    inst = load_manifest(a.manifest)
    by_series = {}
    for e in inst:
        by_series.setdefault(e["series"], []).append(e)
    total = 0
    for series, entries in by_series.items():
        d = os.path.join(a.storage, "incoming", series)
        jp = os.path.join(d, "journal")
        if not os.path.isfile(jp):
            p.add("no journal at %s" % jp)
            continue
        lines = read_journal(jp, p)
        total += len(lines)
        want = len(entries) * a.expect_lines
        if len(lines) != want:
            p.add("%s: %d lines, expected %d" % (jp, len(lines), want))
        seen = {}
        for n, j in enumerate(lines, 1):
            where = "%s line %d" % (jp, n)
            if not isinstance(j, dict):
                p.add("%s: not an object" % where)
                continue
            missing = [k for k in JOURNAL_KEYS if k not in j]
            if missing:
                p.add("%s: keys missing: %s" % (where, missing))
            if j.get("v") != 1:
                p.add("%s: v = %r" % (where, j.get("v")))
            seen[j.get("sop")] = seen.get(j.get("sop"), 0) + 1
            for k in ("size", "time_us"):
                if not isinstance(j.get(k), int) or j.get(k) <= 0:
                    p.add("%s: %s = %r, expected a positive integer" % (where, k, j.get(k)))
        for e in entries:
            js = [j for j in lines if isinstance(j, dict) and j.get("sop") == e["sop"]]
            if len(js) != a.expect_lines:
                p.add("%s: sop %s has %d lines, expected %d" % (jp, e["sop"], len(js),
                                                                a.expect_lines))
                continue
            j = js[-1]
            where = "%s sop %s" % (jp, e["sop"])
            f = os.path.join(d, e["sop"] + ".dcm")
            for k, v in (("file", e["sop"] + ".dcm"), ("study", e["study"]),
                         ("series", e["series"]), ("sop_class", e["sop_class"])):
                if j.get(k) != v:
                    p.add("%s: %s = %r, expected %r" % (where, k, j.get(k), v))
            if os.path.isfile(f) and j.get("size") != os.path.getsize(f):
                p.add("%s: size %r but the file has %d bytes" % (where, j.get("size"),
                                                                 os.path.getsize(f)))
            for k, v in (("sender_aet", a.sender_aet), ("receiver_aet", a.receiver_aet),
                         ("sender_address", a.sender_address)):
                if v is not None and j.get(k) != v:
                    p.add("%s: %s = %r, expected %r" % (where, k, j.get(k), v))
            check_tags(p, where, j.get("tags"), e["tags"])
            if len(js) > 1 and js[0].get("time_us", 0) > js[-1].get("time_us", 0):
                p.add("%s: time_us goes backwards between re-sends" % where)
    p.finish("%d journal lines in %d series correct" % (total, len(by_series)))


def cmd_messages(a):
    p = Problems("messages " + os.path.basename(a.manifest))
    inst = load_manifest(a.manifest)
    msgs = []
    with open(a.msgfile, "rb") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                msgs.append(json.loads(line.decode("utf-8")))
            except (UnicodeDecodeError, ValueError) as ex:
                p.add("%s:%d: not UTF-8 JSON (%s): %r" % (a.msgfile, n, ex, line[:120]))
    by_sop = {}
    for m in msgs:
        by_sop.setdefault(m.get("sop") if isinstance(m, dict) else None, []).append(m)
    if len(msgs) != len(inst) * a.expect_each:
        p.add("%d messages, expected %d" % (len(msgs), len(inst) * a.expect_each))
    for e in inst:
        ms = by_sop.get(e["sop"], [])
        if len(ms) != a.expect_each:
            p.add("sop %s: %d messages, expected %d" % (e["sop"], len(ms), a.expect_each))
            continue
        m = ms[-1]
        where = "message for sop %s" % e["sop"]
        want = {"v": 1, "type": "instance", "study": e["study"], "series": e["series"],
                "sop_class": e["sop_class"],
                "path": "incoming/%s/%s.dcm" % (e["series"], e["sop"])}
        if a.sender_aet is not None:
            want["sender_aet"] = a.sender_aet
        if a.receiver_aet is not None:
            want["receiver_aet"] = a.receiver_aet
        if a.sender_address is not None:
            want["sender_address"] = a.sender_address
        for k, v in want.items():
            if m.get(k) != v:
                p.add("%s: %s = %r, expected %r" % (where, k, m.get(k), v))
        for k in ("size", "time_us"):
            if not isinstance(m.get(k), int) or m.get(k) <= 0:
                p.add("%s: %s = %r, expected a positive integer" % (where, k, m.get(k)))
        if a.storage:
            f = os.path.join(a.storage, "incoming", e["series"], e["sop"] + ".dcm")
            if os.path.isfile(f) and m.get("size") != os.path.getsize(f):
                p.add("%s: size %r, file has %d bytes" % (where, m.get("size"),
                                                         os.path.getsize(f)))
        check_tags(p, where, m.get("tags"), e["tags"])
    p.finish("%d messages correct" % len(msgs))


VOLATILE = {"SenderAddress"}


def cmd_tagsfiles(a):
    p = Problems("tagsfiles " + os.path.basename(a.manifest))
    inst = load_manifest(a.manifest)
    for e in inst:
        d = os.path.join(a.incoming, e["series"])
        dcm = os.path.join(d, e["sop"] + ".dcm")
        tg = os.path.join(d, e["sop"] + ".tags")
        if not os.path.isfile(dcm):
            p.add("missing %s" % dcm)
        if not os.path.isfile(tg):
            p.add("missing %s" % tg)
            continue
        try:
            with open(tg, "rb") as f:
                tags = json.loads(f.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as ex:
            p.add("%s: not UTF-8 JSON: %s" % (tg, ex))
            continue
        check_tags(p, tg, tags, e["tags"], a.sender_aet, a.receiver_aet, a.sender_address)
        if a.journal_root:
            jp = os.path.join(a.journal_root, "incoming", e["series"], "journal")
            if not os.path.isfile(jp):
                p.add("no receiver journal %s to compare with" % jp)
                continue
            js = [j for j in read_journal(jp, p) if j.get("sop") == e["sop"]]
            if not js:
                p.add("%s: no line for sop %s" % (jp, e["sop"]))
                continue
            jt = js[-1].get("tags", {})
            for k in sorted(set(tags) | set(jt)):
                if k in VOLATILE:
                    continue
                if tags.get(k) != jt.get(k):
                    p.add("%s vs journal: %s = %r in .tags, %r in journal"
                          % (tg, k, tags.get(k), jt.get(k)))
    for s in {e["series"] for e in inst}:
        d = os.path.join(a.incoming, s)
        if os.path.isdir(d):
            n_dcm = len([f for f in os.listdir(d) if f.endswith(".dcm")])
            n_tags = len([f for f in os.listdir(d) if f.endswith(".tags")])
            n_want = len([e for e in inst if e["series"] == s])
            if n_dcm != n_want or n_tags != n_want:
                p.add("%s: %d .dcm and %d .tags, expected %d each" % (d, n_dcm, n_tags, n_want))
    p.finish("%d .tags sidecars correct" % len(inst))


def cmd_tagsjson(a):
    p = Problems("tagsjson")
    inst = [e for e in load_manifest(a.manifest) if e["sop"] == a.sop]
    if not inst:
        die("sop %s not in manifest" % a.sop)
    try:
        with open(a.jsonfile, "rb") as f:
            tags = json.loads(f.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as ex:
        p.add("%s: not UTF-8 JSON: %s" % (a.jsonfile, ex))
        tags = {}
    check_tags(p, "getdcmtags --json", tags, inst[0]["tags"])
    p.finish("getdcmtags --json output correct")


def cmd_merge(a):
    out = []
    for m in a.inputs:
        out += load_manifest(m)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump({"v": 1, "instances": out}, f, ensure_ascii=False, indent=1)


def cmd_filter(a):
    want = set()
    with open(a.files) as f:
        for line in f:
            line = line.strip()
            if line:
                want.add(os.path.abspath(line))
    out = [e for e in load_manifest(a.manifest) if (e["file"] in want) != a.exclude]
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump({"v": 1, "instances": out}, f, ensure_ascii=False, indent=1)
    print(len(out))


# ---------------------------------------------------------------------------------------------
# raw sender: a minimal DICOM upper layer SCU (PS3.8), enough for one C-STORE

def _item(t, body):
    return struct.pack(">BBH", t, 0, len(body)) + body


def _pad16(s):
    return s.encode("ascii").ljust(16, b" ")[:16]


def _recv_pdu(sock):
    hdr = b""
    while len(hdr) < 6:
        c = sock.recv(6 - len(hdr))
        if not c:
            raise ConnectionError("peer closed the connection")
        hdr += c
    ptype, _, length = struct.unpack(">BBI", hdr)
    body = b""
    while len(body) < length:
        c = sock.recv(length - len(body))
        if not c:
            raise ConnectionError("peer closed the connection mid-PDU")
        body += c
    return ptype, body


def _cmd_element(group, elem, value):
    return struct.pack("<HHI", group, elem, len(value)) + value


def _uid_bytes(u):
    b = u.encode("ascii")
    return b + b"\0" if len(b) % 2 else b


def cmd_rawsend(a):
    data = open(a.file, "rb").read()
    sop_class, sop_uid_, ts = a.sop_class, a.sop_uid, a.ts
    if not a.raw_dataset and len(data) > 132 and data[128:132] == b"DICM":
        meta_len = struct.unpack("<I", data[128 + 4 + 8:128 + 4 + 12])[0]
        end_meta = 128 + 4 + 12 + meta_len
        try:
            pydicom = _pydicom()
            from io import BytesIO
            fm = pydicom.filereader.read_file_meta_info(a.file)
            sop_class = sop_class or str(fm.MediaStorageSOPClassUID)
            sop_uid_ = sop_uid_ or str(fm.MediaStorageSOPInstanceUID)
            ts = ts or str(fm.TransferSyntaxUID)
        except Exception:  # garbage meta: rely on options
            pass
        data = data[end_meta:]
    sop_class = sop_class or CT_CLASS
    sop_uid_ = sop_uid_ or ROOT + ".99.1"
    ts = ts or EXPLICIT_LE
    app = _item(0x10, b"1.2.840.10008.3.1.1.1")
    pc = _item(0x20, bytes([1, 0, 0, 0]) + _item(0x30, sop_class.encode()) +
               _item(0x40, ts.encode()))
    ui = _item(0x50, _item(0x51, struct.pack(">I", 16384)) +
               _item(0x52, (ROOT + ".0.2").encode()))
    rq = struct.pack(">HH", 1, 0) + _pad16(a.aec) + _pad16(a.aet) + b"\0" * 32 + app + pc + ui
    s = socket.create_connection((a.host, int(a.port)), timeout=a.timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(struct.pack(">BBI", 1, 0, len(rq)) + rq)
    ptype, body = _recv_pdu(s)
    if ptype != 2:
        print("association refused: pdu type 0x%02x" % ptype)
        sys.exit(2)
    # find presentation context result (item 0x21)
    off = 68
    accepted = False
    while off + 4 <= len(body):
        it, _, ln = struct.unpack(">BBH", body[off:off + 4])
        if it == 0x21 and body[off + 4 + 2] == 0:
            accepted = True
        off += 4 + ln
    if not accepted:
        print("presentation context not accepted")
        sys.exit(3)
    cmd = (_cmd_element(0, 0x0002, _uid_bytes(sop_class)) +
           _cmd_element(0, 0x0100, struct.pack("<H", 0x0001)) +
           _cmd_element(0, 0x0110, struct.pack("<H", 1)) +
           _cmd_element(0, 0x0700, struct.pack("<H", 0)) +
           _cmd_element(0, 0x0800, struct.pack("<H", 0x0000)) +
           _cmd_element(0, 0x1000, _uid_bytes(sop_uid_)))
    cmd = _cmd_element(0, 0x0000, struct.pack("<I", len(cmd))) + cmd

    def pdv(ctrl, chunk):
        b = struct.pack(">IB", len(chunk) + 2, 1) + bytes([ctrl]) + chunk
        return struct.pack(">BBI", 4, 0, len(b)) + b

    s.sendall(pdv(0x03, cmd))
    maxlen = 16000
    for i in range(0, max(len(data), 1), maxlen):
        chunk = data[i:i + maxlen]
        last = i + maxlen >= len(data)
        s.sendall(pdv(0x02 if last else 0x00, chunk))
    status = None
    rsp = b""
    while status is None:
        ptype, body = _recv_pdu(s)
        if ptype == 7:
            print("association aborted by peer")
            sys.exit(4)
        if ptype != 4:
            continue
        off = 0
        while off < len(body):
            ln = struct.unpack(">I", body[off:off + 4])[0]
            ctrl = body[off + 5]
            rsp += body[off + 6:off + 4 + ln]
            off += 4 + ln
            if ctrl & 0x01 and ctrl & 0x02:
                p = 0
                while p + 8 <= len(rsp):
                    g, e, vl = struct.unpack("<HHI", rsp[p:p + 8])
                    if (g, e) == (0, 0x0900):
                        status = struct.unpack("<H", rsp[p + 8:p + 10])[0]
                    p += 8 + vl
    print("status=0x%04X" % status)
    try:
        s.sendall(struct.pack(">BBI", 5, 0, 4) + b"\0" * 4)
        _recv_pdu(s)
    except (OSError, ConnectionError):
        pass
    s.close()


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("series")
    s.add_argument("--out", required=True)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--modality", choices=["CT", "MR"], default="CT")
    s.add_argument("--count", type=int, default=3)
    s.add_argument("--rows", type=int, default=64)
    s.add_argument("--cols", type=int, default=64)
    s.add_argument("--charset", choices=sorted(CHARSETS), default="ascii")
    s.add_argument("--vr", choices=["explicit", "implicit"], default="explicit")
    s.add_argument("--study-uid")
    s.add_argument("--series-uid")
    s.add_argument("--sop-uid")
    s.add_argument("--series-number", type=int, default=1)
    s.add_argument("--prefix", default="", help="file name prefix inside --out")
    s.add_argument("--manifest")
    s.add_argument("--jpeg", action="store_true")
    s.add_argument("--variant", type=int, default=0,
                   help="same UIDs, different PixelData and ImageComments (re-send tests)")
    s.set_defaults(fn=cmd_series)

    s = sub.add_parser("bad")
    s.add_argument("--out", required=True)
    s.add_argument("--kind", required=True, choices=["truncated", "garbage", "header-only"])
    s.add_argument("--seed", type=int, default=666)
    s.set_defaults(fn=cmd_bad)

    s = sub.add_parser("bench")
    s.add_argument("--out", required=True)
    s.add_argument("--small", type=int, default=2000)
    s.add_argument("--ct", type=int, default=200)
    s.set_defaults(fn=cmd_bench)

    s = sub.add_parser("compare")
    s.add_argument("manifest")
    s.add_argument("storage")
    s.add_argument("--layout", choices=["receiver", "getdcmtags"], default="receiver",
                   help="receiver: STORAGE/incoming/<series>; getdcmtags: STORAGE/<series>")
    s.add_argument("--allow-extra", action="store_true")
    s.set_defaults(fn=cmd_compare)

    for name, fn in (("journal", cmd_journal), ("messages", cmd_messages),
                     ("tagsfiles", cmd_tagsfiles)):
        s = sub.add_parser(name)
        s.add_argument("manifest")
        if name == "journal":
            s.add_argument("storage")
            s.add_argument("--expect-lines", type=int, default=1)
        elif name == "messages":
            s.add_argument("msgfile")
            s.add_argument("--storage")
            s.add_argument("--expect-each", type=int, default=1)
        else:
            s.add_argument("incoming")
            s.add_argument("--journal-root")
        s.add_argument("--sender-aet")
        s.add_argument("--receiver-aet")
        s.add_argument("--sender-address")
        s.set_defaults(fn=fn)

    s = sub.add_parser("tagsjson")
    s.add_argument("manifest")
    s.add_argument("jsonfile")
    s.add_argument("--sop", required=True)
    s.set_defaults(fn=cmd_tagsjson)

    s = sub.add_parser("merge")
    s.add_argument("--out", required=True)
    s.add_argument("inputs", nargs="+")
    s.set_defaults(fn=cmd_merge)

    s = sub.add_parser("filter")
    s.add_argument("manifest")
    s.add_argument("out")
    s.add_argument("--files", required=True, help="file listing sent file paths, one a line")
    s.add_argument("--exclude", action="store_true", help="keep the instances NOT listed")
    s.set_defaults(fn=cmd_filter)

    s = sub.add_parser("rawsend")
    s.add_argument("host")
    s.add_argument("port")
    s.add_argument("file")
    s.add_argument("--sop-class")
    s.add_argument("--sop-uid")
    s.add_argument("--ts")
    s.add_argument("--aec", default="ANY-SCP")
    s.add_argument("--aet", default="RAWSCU")
    s.add_argument("--raw-dataset", action="store_true",
                   help="send FILE's bytes as they are, even if it starts with a Part 10 header")
    s.add_argument("--timeout", type=float, default=30)
    s.set_defaults(fn=cmd_rawsend)

    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
