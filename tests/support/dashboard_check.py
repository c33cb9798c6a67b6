# dashboard_check.py BASE CONFIG SHOTS RECV_PORT SERIES_DIR SERIES_UID PATIENT SCP_PORT SCP_DIR - the dashboard
# (coordinator/http/www) in headless Chromium against a running coordinator at BASE, loaded from
# CONFIG, whose receiver listens on RECV_PORT and whose rule "ct" sends CT series to the DICOM target
# "pacs" at SCP_PORT, which is down at the start. Users admin/adminpw and view/viewpw.
# Logs in through the form; sends SERIES_DIR (series SERIES_UID, patient name PATIENT, hostile HTML)
# with storescu and sees it in the series, tasks and history pages; its task fails (the target is
# down); starts storescp into SCP_DIR, retries the task from the tasks page and sees it succeed; tests
# a rule; tests, halts and resumes the target; saves an invalid configuration and sees the finding at
# its line (the file untouched); checks the patient name is shown as text and no script ran; a viewer
# sees no actions.
# A PNG of every page goes to SHOTS. Prints one line per failed step and exits 1 on the first.
import json, os, socket, subprocess, sys, time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE, CONFIG, SHOTS, RECV_PORT, SERIES_DIR, SERIES_UID, PATIENT, SCP_PORT, SCP_DIR = sys.argv[1:10]
os.makedirs(SHOTS, exist_ok=True)
STEP = ["start"]
T0 = time.time()


def fail(msg):
    print("FAILED at step %s: %s" % (STEP[0], msg), file=sys.stderr)
    try:
        shot("failure")
        print("page text: " + D.find_element(By.TAG_NAME, "body").text[:2000], file=sys.stderr)
        for e in D.get_log("browser"):
            print("browser: %r" % e, file=sys.stderr)
    except Exception:  # the browser may be gone: the failure is reported anyway
        pass
    sys.exit(1)


def step(name):
    STEP[0] = name
    print("%6.1f s step: %s" % (time.time() - T0, name), flush=True)


def shot(name):
    D.save_screenshot(os.path.join(SHOTS, name + ".png"))


def wait(cond, what, timeout=20):
    try:
        return WebDriverWait(D, timeout, poll_frequency=0.2).until(lambda d: cond())
    except TimeoutException:
        fail("waited %d s for %s" % (timeout, what))


def find(css):
    return D.find_elements(By.CSS_SELECTOR, css)


def text_of(css):
    return D.execute_script("const e = document.querySelector(arguments[0]);"
                            "return e ? e.innerText : '';", css)


def go(page):
    D.execute_script("location.hash = arguments[0]", "#" + page)
    wait(lambda: find("#page-" + page), "the page " + page)


def click(css):
    """click the element in the page's own turn: a poll may rebuild a table between a lookup from here
    and a click from here"""
    wait(lambda: D.execute_script("const e = document.querySelector(arguments[0]);"
                                  "if (!e || e.disabled) return false; e.click(); return true;", css), css)


def login(user, pw):
    D.get(BASE + "/")
    wait(lambda: find("#login-page") and find("#login-page")[0].is_displayed(), "the login form")
    find("input[name=username]")[0].send_keys(user)
    find("input[name=password]")[0].send_keys(pw)
    find("#login-submit")[0].click()
    wait(lambda: find("#top") and find("#top")[0].is_displayed(), "the dashboard after logging in as " + user)


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", int(port))) == 0


opts = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
          "--window-size=1600,1000", "--no-first-run", "--disable-extensions"):
    opts.add_argument(a)
opts.binary_location = "/usr/bin/chromium"
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
D = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
D.set_page_load_timeout(30)
scp = None
try:
    # ---- login -------------------------------------------------------------------------------
    step("login form")
    D.get(BASE + "/")
    wait(lambda: find("#login-page") and find("#login-page")[0].is_displayed(), "the login form")
    shot("login")
    find("input[name=username]")[0].send_keys("admin")
    find("input[name=password]")[0].send_keys("wrong")
    find("#login-submit")[0].click()
    wait(lambda: text_of("#login-error") != "", "the error of a wrong password")
    D.get(BASE + "/")
    login("admin", "adminpw")
    step("overview")
    wait(lambda: find("#t-series"), "the overview's tiles")
    wait(lambda: find("#rates-chart") or find("#chart-nodata"), "the chart or 'no data'")
    shot("overview")

    # ---- a study arrives -----------------------------------------------------------------------
    step("send a series")
    files = sorted(os.path.join(SERIES_DIR, f) for f in os.listdir(SERIES_DIR))
    out = subprocess.run(["storescu", "-aec", "MERCURE", "127.0.0.1", RECV_PORT] + files,
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        fail("storescu: %s" % out.stderr)
    go("series")
    wait(lambda: SERIES_UID in text_of("#series-list"), "the series in the open series", 30)
    shot("series")

    step("the task fails while the target is down")
    go("tasks")
    click("#state-error")
    wait(lambda: find("#tasks-table button[id^=retry-]"), "a failed task with a retry button", 60)
    task_id = find("#tasks-table button[id^=retry-]")[0].get_attribute("id")[len("retry-"):]
    click("#details-" + task_id)
    wait(lambda: task_id in text_of("#task-detail-card") and SERIES_UID in text_of("#task-detail-card"),
         "the task's details")
    shot("tasks-error")

    step("retry once the target is up")
    os.makedirs(SCP_DIR, exist_ok=True)
    scp = subprocess.Popen(["storescp", "-od", SCP_DIR, SCP_PORT], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    for _ in range(100):
        if port_open(SCP_PORT):
            break
        time.sleep(0.1)
    click("#retry-" + task_id)
    click("#state-success")
    wait(lambda: text_of("#task-state-" + task_id) == "success", "the retried task among the successful ones", 60)
    shot("tasks-success")
    if len(os.listdir(SCP_DIR)) != len(files):
        fail("storescp received %d files, expected %d" % (len(os.listdir(SCP_DIR)), len(files)))

    # ---- history: a timeline; the hostile name is text --------------------------------------------
    step("history")
    go("history")
    find("#h-series")[0].send_keys(SERIES_UID)
    click("#history-search")
    wait(lambda: find("#timeline li"), "the timeline")
    wait(lambda: "task.success" in text_of("#timeline"), "task.success in the timeline")
    shown = D.execute_script("return document.getElementById('history-patient').textContent")
    if PATIENT not in shown:
        fail("the patient name shown is %r, expected %r as text" % (shown, PATIENT))
    if D.execute_script("return window.__pwned") is not None:
        fail("a script from the patient name ran")
    if find("#main script") or find("#main img"):
        fail("the patient name became HTML elements")
    shot("history")

    # ---- rules: the tester on tags and on the real series -------------------------------------------
    step("rules")
    go("rules")
    click("#rule-test-ct")
    wait(lambda: "CT" in D.execute_script("return document.getElementById('rt-rule').value"), "the rule in the tester")
    D.execute_script("document.getElementById('rt-input').value = arguments[0]", json.dumps({"Modality": "MR"}))
    click("#rt-run")
    wait(lambda: text_of("#rt-verdict").startswith("reject"), "reject for an MR")
    D.execute_script("document.getElementById('rt-mode').value = 'series';"
                     "document.getElementById('rt-input').value = arguments[0]", SERIES_UID)
    click("#rt-run")
    wait(lambda: text_of("#rt-verdict").startswith("trigger"), "trigger for the series sent")
    shot("rules")

    # ---- targets -------------------------------------------------------------------------------
    step("targets")
    go("targets")
    wait(lambda: text_of("#target-state-pacs") == "active", "the target pacs active")
    click("#target-test-pacs")
    wait(lambda: text_of("#target-test-result").startswith("ok"), "the target test's result", 30)
    shot("targets")
    click("#target-halt-pacs")
    wait(lambda: text_of("#target-state-pacs") == "halted", "the target halted")
    click("#target-resume-pacs")
    wait(lambda: text_of("#target-state-pacs") == "active", "the target resumed")

    # ---- config: an invalid one is refused with its finding at its line --------------------------------
    step("config")
    with open(CONFIG, "rb") as f:
        before = f.read()
    go("config")
    wait(lambda: D.execute_script("return document.getElementById('config-yaml') && "
                                  "document.getElementById('config-yaml').value.length") , "the YAML in the editor")
    lines = D.execute_script("return document.getElementById('config-yaml').value").split("\n")
    bad = next(i for i, l in enumerate(lines) if l.strip().startswith("pacs:")) + 1
    lines[bad - 1] = lines[bad - 1].replace("port: %s" % SCP_PORT, "port: notaport")
    D.execute_script("const t = document.getElementById('config-yaml'); t.value = arguments[0];"
                     "t.dispatchEvent(new Event('input'))", "\n".join(lines))
    click("#config-save")
    wait(lambda: find("#findings li.finding"), "the findings")
    if "line %d," % bad not in text_of("#findings") or not find("#gutter-bad-%d" % bad):
        fail("no finding at line %d: %r" % (bad, text_of("#findings")))
    shot("config-invalid")
    with open(CONFIG, "rb") as f:
        if f.read() != before:
            fail("an invalid configuration was written")
    D.execute_script("const t = document.getElementById('config-yaml'); t.value = arguments[0];"
                     "t.dispatchEvent(new Event('input'))", before.decode())
    click("#config-validate")
    wait(lambda: text_of("#config-ok") == "valid", "the valid configuration")

    # ---- a viewer sees no actions ------------------------------------------------------------------
    step("viewer")
    click("#logout")
    wait(lambda: find("#login-page")[0].is_displayed(), "the login form after logging out")
    login("view", "viewpw")
    go("tasks")
    click("#state-success")
    wait(lambda: find("#tasks-table"), "the tasks")
    go("config")
    wait(lambda: find("#config-generation"), "the configuration view")
    if find("#config-yaml") or find("#config-save"):
        fail("a viewer has the configuration editor")
    go("targets")
    wait(lambda: find("#targets-table"), "the targets")
    if find("#target-halt-pacs") or find("#target-test-pacs"):
        fail("a viewer has target actions")
    shot("viewer-targets")

    # ---- the chart, from GET /api/v1/rates as its contract says (the page's fetch answered here when
    # the coordinator has no such endpoint) ------------------------------------------------------
    step("the chart")
    rx = [i % 7 for i in range(60)]
    fake = {"interval_seconds": 60, "end": int(time.time()), "received_instances": rx,
            "dispatched_instances": [max(0, v - 1) for v in rx], "errors": [1 if i == 50 else 0 for i in range(60)]}
    D.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        const real = window.fetch;
        window.fetch = (u, o) => String(u).startsWith("/api/v1/rates")
          ? real(u, o).then((r) => r.status === 404
              ? new Response(%s, {status: 200, headers: {"Content-Type": "application/json"}}) : r)
          : real(u, o);""" % json.dumps(json.dumps(fake))})
    D.execute_script("location.hash = '#overview'")
    D.refresh()
    wait(lambda: find("#rates-chart polyline"), "the chart drawn")
    pts = [len(p.get_attribute("points").split()) for p in find("#rates-chart polyline")]
    if pts != [60, 60, 60]:
        fail("the chart's lines have %r points" % pts)
    shot("overview-chart")

    step("the browser's console")
    bad_log = [e for e in D.get_log("browser") if "Content Security Policy" in e.get("message", "")
               or "Uncaught" in e.get("message", "")]
    if bad_log:
        fail("errors in the console: %r" % bad_log)
    print("dashboard: every step passed; screenshots in %s" % SHOTS)
except WebDriverException as e:
    fail("webdriver: %s" % str(e).splitlines()[0] if str(e) else repr(e))
finally:
    if scp is not None:
        scp.terminate()
        scp.wait(10)
    D.quit()
