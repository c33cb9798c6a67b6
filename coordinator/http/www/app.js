/* mercure dashboard: plain JavaScript, no build step, nothing fetched but
 * this server's API. Every value from the server reaches the page through
 * textContent or an attribute, never as HTML: tag values (patient names)
 * are hostile. */
"use strict";

(function () {
  const POLL_MS = 3000;
  const RANK = { viewer: 1, operator: 2, admin: 3 };
  let session = null;
  let page = null;
  let timer = null;

  /* ---- DOM helpers: text only ---------------------------------------- */
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") e.textContent = String(v);
      else if (k === "onclick") e.addEventListener("click", v);
      else if (k === "onsubmit") e.addEventListener("submit", v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const k of kids.flat()) {
      if (k === null || k === undefined || k === false) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }
  const $ = (id) => document.getElementById(id);
  /* clear - empty e; an answer that arrives after its page was left finds
   * no element and fills a detached one instead */
  function clear(e) {
    if (!e) return document.createElement("div");
    while (e.firstChild) e.removeChild(e.firstChild);
    return e;
  }
  function can(role) { return session && RANK[session.role] >= RANK[role]; }
  function flash(msg, bad) {
    const f = $("flash");
    f.textContent = msg;
    f.className = "flash" + (bad ? " error" : "");
    f.hidden = false;
    clearTimeout(flash.t);
    flash.t = setTimeout(() => { f.hidden = true; }, 6000);
  }
  function fmtAge(s) {
    if (s === undefined || s === null) return "";
    s = Math.round(s);
    if (s < 120) return s + " s";
    if (s < 7200) return Math.round(s / 60) + " min";
    return Math.round(s / 3600) + " h";
  }
  function fmtBytes(n) {
    if (n === undefined || n === null) return "";
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + " " + u[i];
  }
  function fmtTime(t) { return t ? new Date(t * 1000).toLocaleString() : ""; }

  /* ---- the API ---------------------------------------------------------- */
  async function api(method, path, body, type) {
    /* X-Requested-With: a 401 without a Basic challenge, which would
     * open the browser's own password dialog */
    const h = { "X-Requested-With": "mercure-dashboard" };
    if (method !== "GET" && session && session.csrf) h["X-CSRF-Token"] = session.csrf;
    if (body !== undefined) h["Content-Type"] = type || "application/json";
    let r;
    try {
      r = await fetch(path, {
        method, headers: h, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : (typeof body === "string" ? body : JSON.stringify(body)),
      });
    } catch (e) {
      return { status: 0, json: { error: "the coordinator does not answer" }, text: "" };
    }
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { json = null; }
    if (r.status === 401 && path !== "/login") { showLogin(); }
    return { status: r.status, json, text };
  }
  function errOf(r) { return (r.json && r.json.error) || ("HTTP " + r.status); }
  async function act(method, path, body, done) {
    const r = await api(method, path, body);
    if (r.status >= 200 && r.status < 300) flash((r.json && r.json.msg) || "done");
    else flash(errOf(r), true);
    if (done) done(r);
    refresh();
    return r;
  }
  function button(label, onclick, cls, id) {
    return el("button", { type: "button", class: cls, id, onclick, text: label });
  }

  /* ---- login ------------------------------------------------------------ */
  function showLogin() {
    session = null;
    stopPolling();
    $("top").hidden = true;
    $("main").hidden = true;
    $("login-page").hidden = false;
  }
  async function startApp(s) {
    session = s;
    $("who").textContent = s.user + " (" + s.role + ")";
    $("login-page").hidden = true;
    $("top").hidden = false;
    $("main").hidden = false;
    route();
  }
  async function onLogin(ev) {
    ev.preventDefault();
    const f = new URLSearchParams();
    f.set("username", $("username").value);
    f.set("password", $("password").value);
    const r = await api("POST", "/login", f.toString(), "application/x-www-form-urlencoded");
    $("password").value = "";
    if (r.status === 200 && r.json) { $("login-error").textContent = ""; startApp(r.json); }
    else $("login-error").textContent = errOf(r);
  }
  async function onLogout() {
    await api("POST", "/logout");
    showLogin();
  }

  /* ---- pages ------------------------------------------------------------ */
  /* each page: build(root) once when shown, then live() on every poll */
  const pages = {};

  function tile(label, value, bad, id) {
    const small = String(value).length > 8;
    return el("div", { class: "tile" + (bad ? " bad" : ""), id },
      el("div", { class: "label", text: label }), el("div", { class: "value" + (small ? " small" : ""), text: value }));
  }
  function sum(o) { return Object.values(o || {}).reduce((a, b) => a + b, 0); }

  pages.overview = {
    title: "Overview",
    build(root) {
      root.append(el("div", { class: "tiles", id: "tiles" }),
        el("h2", { text: "Received and dispatched instances, last hour" }),
        el("div", { class: "card", id: "chart" }));
    },
    async live() {
      const [st, rt] = await Promise.all([api("GET", "/api/v1/status"), api("GET", "/api/v1/rates")]);
      const t = clear($("tiles"));
      if (st.status === 200) {
        const s = st.json;
        const rate = rt.status === 200 && rt.json ? rt.json : null;
        const last = (a) => (a && a.length ? a[a.length - 1] : 0);
        t.append(
          tile("Received / min", rate ? last(rate.received_instances) : "–", false, "t-rx"),
          tile("Dispatched / min", rate ? last(rate.dispatched_instances) : "–", false, "t-tx"),
          tile("Open series", s.open_series, false, "t-series"),
          tile("Studies waiting", s.studies_waiting),
          tile("Tasks queued", sum(s.tasks.queued) + sum(s.tasks.waiting)),
          tile("Tasks running", sum(s.tasks.running)),
          tile("Failed tasks", s.error_tasks, s.error_tasks > 0, "t-errors"),
          tile("Disk free", fmtBytes(s.storage_free_bytes)),
          tile("Instances received", s.receiver.instances),
          tile("Scheduler", s.scheduler.name),
          tile("Workers running", s.scheduler.running),
          tile("Config generation", s.config_generation));
      } else {
        t.append(el("p", { class: "error", text: errOf(st) }));
      }
      drawChart(clear($("chart")), rt);
    },
  };

  function drawChart(box, r) {
    if (r.status !== 200 || !r.json || !Array.isArray(r.json.received_instances)) {
      box.append(el("p", { class: "muted", id: "chart-nodata", text: "no data" }));
      return;
    }
    const d = r.json;
    const series = [["rx", "received", d.received_instances || []],
      ["tx", "dispatched", d.dispatched_instances || []], ["er", "errors", d.errors || []]];
    const n = Math.max(...series.map((s) => s[2].length), 2);
    const max = Math.max(1, ...series.flatMap((s) => s[2]));
    const W = 600, H = 200, L = 40, B = 20;
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("class", "chart");
    svg.setAttribute("id", "rates-chart");
    svg.setAttribute("preserveAspectRatio", "none");
    const mk = (tag, a) => { const e = document.createElementNS(NS, tag); for (const k in a) e.setAttribute(k, a[k]); return e; };
    svg.append(mk("line", { x1: L, y1: H - B, x2: W, y2: H - B, class: "axis" }),
      mk("line", { x1: L, y1: 0, x2: L, y2: H - B, class: "axis" }));
    const top = mk("text", { x: 2, y: 12 }); top.textContent = String(max); svg.append(top);
    const zero = mk("text", { x: 2, y: H - B }); zero.textContent = "0"; svg.append(zero);
    const lbl = mk("text", { x: L, y: H - 4 }); lbl.textContent = "-" + Math.round(n * (d.interval_seconds || 60) / 60) + " min"; svg.append(lbl);
    const now = mk("text", { x: W - 30, y: H - 4 }); now.textContent = "now"; svg.append(now);
    for (const [cls, , v] of series) {
      const pts = v.map((y, i) => (L + (i * (W - L)) / (n - 1)).toFixed(1) + "," + (H - B - (y * (H - B - 5)) / max).toFixed(1));
      svg.append(mk("polyline", { points: pts.join(" "), class: cls }));
    }
    box.append(svg, el("div", { class: "legend" },
      series.map(([cls, name]) => el("span", { class: "key-" + cls, text: "— " + name }))));
  }

  pages.series = {
    title: "Series & studies",
    build(root) {
      root.append(el("h2", { text: "Open series" }), el("div", { id: "series-list" }),
        el("h2", { text: "Studies waiting" }), el("div", { id: "studies-list" }));
    },
    async live() {
      const [se, stu] = await Promise.all([api("GET", "/api/v1/series"), api("GET", "/api/v1/studies")]);
      const op = can("operator");
      const sl = clear($("series-list"));
      if (se.status !== 200) sl.append(el("p", { class: "error", text: errOf(se) }));
      else if (!se.json.series.length) sl.append(el("p", { class: "muted", text: "no open series" }));
      else sl.append(table(["Series UID", "Study UID", "Instances", "Size", "Age", "Idle", ""],
        se.json.series.map((s) => [mono(s.uid), mono(s.study), s.instances, fmtBytes(s.bytes), fmtAge(s.age_s),
          fmtAge(s.idle_s), op ? button("Force complete", () => act("POST",
            "/api/v1/series/" + encodeURIComponent(s.uid) + "/force-complete"), "secondary") : ""]), "series-table"));
      const tl = clear($("studies-list"));
      if (stu.status !== 200) tl.append(el("p", { class: "error", text: errOf(stu) }));
      else if (!stu.json.studies.length) tl.append(el("p", { class: "muted", text: "no study waiting" }));
      else tl.append(table(["Study UID", "Rule", "Age", "Idle", ""],
        stu.json.studies.map((s) => [mono(s.study), s.rule, fmtAge(s.age_s), fmtAge(s.idle_s),
          op ? button("Force complete", () => act("POST",
            "/api/v1/studies/" + encodeURIComponent(s.study) + "/force-complete"), "secondary") : ""])));
    },
  };

  function mono(t) { return el("span", { class: "mono", text: t }); }
  function table(heads, rows, id) {
    return el("table", { id, "data-rows": rows.length },
      el("thead", {}, el("tr", {}, heads.map((h) => el("th", { text: h })))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))));
  }

  const TASK_STATES = ["loop", "queued", "running", "waiting", "error", "success", "discard"];
  pages.tasks = {
    title: "Tasks",
    state: "loop",
    build(root) {
      root.append(el("div", { class: "chips", id: "task-states" },
        TASK_STATES.map((s) => button(s === "loop" ? "in progress" : s, () => {
          this.state = s; this.chips(); this.live();
        }, "secondary", "state-" + s))),
        el("div", { id: "task-list" }), el("div", { id: "task-detail" }));
      this.chips();
    },
    chips() {
      for (const s of TASK_STATES) if ($("state-" + s)) $("state-" + s).classList.toggle("active", s === this.state);
    },
    async live() {
      const st = this.state;
      const r = await api("GET", "/api/v1/tasks" + (st === "loop" ? "" : "?state=" + st));
      if (st !== this.state) return; /* another state was chosen meanwhile */
      const box = clear($("task-list"));
      if (r.status !== 200) { box.append(el("p", { class: "error", text: errOf(r) })); return; }
      if (!r.json.tasks.length) { box.append(el("p", { class: "muted", text: "no task" })); return; }
      const op = can("operator");
      box.append(table(["Task", "State", "Kind", "Rule", "Series", "Attempt", "Age / finished", ""],
        r.json.tasks.map((t) => [mono(t.id), el("span", { class: "state-" + t.state, id: "task-state-" + t.id, text: t.state }), t.kind || "",
          t.rule || "", mono(t.series || ""), t.attempt === undefined ? "" : t.attempt,
          t.age_s !== undefined ? fmtAge(t.age_s) : fmtTime(t.time),
          el("div", { class: "actions" },
            button("Details", () => showTask(t.id), "secondary", "details-" + t.id),
            op && t.state === "error" ? button("Retry", () => act("POST", "/api/v1/tasks/" + t.id + "/retry"), "", "retry-" + t.id) : null,
            op && t.state === "discard" ? button("Reroute", () => act("POST", "/api/v1/tasks/" + t.id + "/reroute"), "", "reroute-" + t.id) : null)]),
        "tasks-table"));
    },
  };

  async function showTask(id) {
    const box = clear($("task-detail"));
    const r = await api("GET", "/api/v1/tasks/" + encodeURIComponent(id));
    if (r.status !== 200) { box.append(el("p", { class: "error", text: errOf(r) })); return; }
    const t = r.json;
    box.append(el("div", { class: "card", id: "task-detail-card" },
      el("h2", { text: "Task " + t.id + " (" + t.state + ")" }),
      el("div", { class: "cols" },
        el("div", {}, el("h2", { text: "task.json" }), el("pre", { text: JSON.stringify(t.task, null, 2) })),
        el("div", {}, el("h2", { text: "result.json" }), el("pre", { text: t.result ? JSON.stringify(t.result, null, 2) : "none yet" }))),
      el("h2", { text: "Attempts" }), el("pre", { text: JSON.stringify(t.attempts || [], null, 2) }),
      el("h2", { text: "Worker log (end)" }), el("pre", { text: t.log_tail || "no log" })));
  }

  const HISTORY_FIELDS = [["patient", "Patient name"], ["mrn", "MRN"], ["accession", "Accession"],
    ["study", "Study UID"], ["series", "Series UID"], ["task", "Task"]];
  pages.history = {
    title: "History",
    build(root) {
      const form = el("form", { class: "filters", id: "history-form", onsubmit: (e) => { e.preventDefault(); this.search(); } },
        HISTORY_FIELDS.map(([k, l]) => el("label", {}, l, el("input", { name: k, id: "h-" + k }))),
        el("button", { type: "submit", id: "history-search", text: "Search" }));
      root.append(form, el("div", { id: "history-result" }));
    },
    async search() {
      const q = new URLSearchParams();
      for (const [k] of HISTORY_FIELDS) { const v = $("h-" + k).value.trim(); if (v) q.set(k, v); }
      q.set("limit", "500");
      const r = await api("GET", "/api/v1/history?" + q.toString());
      const box = clear($("history-result"));
      if (r.status !== 200) { box.append(el("p", { class: "error", text: errOf(r) })); return; }
      const ev = r.json.events.slice().reverse();
      if (!ev.length) { box.append(el("p", { class: "muted", text: "nothing found" })); return; }
      const names = [...new Set(ev.map((e) => e.patient_name).filter(Boolean))];
      box.append(el("p", {}, "Patient: ", el("strong", { id: "history-patient", text: names.join(", ") || "unknown" }),
        " · " + ev.length + " events, oldest first"));
      box.append(el("ol", { class: "timeline", id: "timeline" }, ev.map((e) => el("li", {
        class: /error|fail|reject|discard/.test(e.event) ? "bad" : /success|complete/.test(e.event) ? "good" : "",
      }, el("span", { class: "when", text: fmtTime(e.time) }), el("strong", { text: e.event }),
      e.rule ? " rule " + e.rule : "", e.target ? " → " + e.target : "", e.info ? " · " + e.info : "",
      el("div", { class: "mono muted", text: [e.series && "series " + e.series, e.task && "task " + e.task].filter(Boolean).join(" · ") })))));
    },
    live() {},
  };

  pages.rules = {
    title: "Rules",
    async build(root) {
      root.append(el("div", { id: "rules-list" }),
        el("h2", { text: "Test a rule" }),
        el("form", { class: "card", id: "rule-test", onsubmit: (e) => { e.preventDefault(); this.test(); } },
          el("label", {}, "Rule", el("textarea", { class: "plain", id: "rt-rule", name: "rule" })),
          el("div", { class: "filters" },
            el("label", {}, "Against", el("select", { id: "rt-mode" }, el("option", { value: "tags", text: "tags (JSON)" }),
              el("option", { value: "series", text: "a series (open or in the history)" })))),
          el("label", {}, "Tags (JSON) or series UID", el("textarea", { class: "plain", id: "rt-input", name: "input", text: '{"Modality": "CT"}' })),
          el("button", { type: "submit", id: "rt-run", text: "Test" }),
          el("div", { id: "rt-result" })));
      const r = await api("GET", "/api/v1/config");
      const box = $("rules-list") || document.createElement("div");
      if (r.status !== 200) { box.append(el("p", { class: "error", text: errOf(r) })); return; }
      const rules = Object.entries(r.json.rules || {});
      box.append(table(["Rule", "Condition", "Action", "Targets", ""], rules.map(([name, ru]) => [name + (ru.disabled ? " (disabled)" : ""),
        mono(ru.rule), ru.action, (ru.targets || []).join(", "),
        button("Test", () => { $("rt-rule").value = ru.rule; $("rt-rule").focus(); }, "secondary", "rule-test-" + name)]), "rules-table"));
    },
    async test() {
      const body = { rule: $("rt-rule").value };
      const box = clear($("rt-result"));
      if ($("rt-mode").value === "series") body.series = $("rt-input").value.trim();
      else {
        try { body.tags = JSON.parse($("rt-input").value); } catch (e) {
          box.append(el("p", { class: "error", text: "the tags are not JSON: " + e.message })); return;
        }
      }
      const r = await api("POST", "/api/v1/rules/test", body);
      if (r.status !== 200) { box.append(el("p", { class: "error", id: "rt-error", text: errOf(r) })); return; }
      box.append(el("p", { id: "rt-verdict", class: r.json.result === "trigger" ? "ok" : "error",
        text: r.json.result + (r.json.reason ? ": " + r.json.reason : "") }),
      table(["Tag", "Key", "Value"], (r.json.tags || []).map((t) => [t.name, mono(t.key || ""), t.value === undefined || t.value === null ? "(absent)" : t.value])));
    },
    live() {},
  };

  pages.targets = {
    title: "Targets",
    build(root) { root.append(el("div", { id: "targets-list" }), el("div", { id: "target-test" })); },
    async live() {
      /* a task of a rule goes to each of the rule's targets: the newest
       * finished task of such a rule is the target's last success or
       * error */
      const [r, cfg, ok, bad] = await Promise.all([api("GET", "/api/v1/targets"), api("GET", "/api/v1/config"),
        api("GET", "/api/v1/tasks?state=success&limit=200"), api("GET", "/api/v1/tasks?state=error&limit=200")]);
      const box = clear($("targets-list"));
      if (r.status !== 200) { box.append(el("p", { class: "error", text: errOf(r) })); return; }
      const rules = (cfg.status === 200 && cfg.json.rules) || {};
      const last = {};
      const note = (res, key) => {
        for (const t of (res.status === 200 ? res.json.tasks : [])) {
          for (const name of ((rules[t.rule] || {}).targets || [])) {
            const l = last[name] = last[name] || {};
            if (!l[key] || l[key].time < t.time) l[key] = t;
          }
        }
      };
      note(ok, "ok");
      note(bad, "err");
      const op = can("operator");
      box.append(table(["Target", "Type", "State", "Last success", "Last error", ""], r.json.targets.map((t) => {
        const l = last[t.name] || {};
        return [t.name, t.type, el("span", { class: t.halted ? "error" : "ok", id: "target-state-" + t.name, text: t.halted ? "halted" : "active" }),
          l.ok ? fmtTime(l.ok.time) : "–", l.err ? fmtTime(l.err.time) : "–",
          op ? el("div", { class: "actions" },
            button("Test", () => testTarget(t.name), "secondary", "target-test-" + t.name),
            t.halted ? button("Resume", () => act("POST", "/api/v1/targets/" + encodeURIComponent(t.name) + "/resume"), "", "target-resume-" + t.name)
              : button("Halt", () => act("POST", "/api/v1/targets/" + encodeURIComponent(t.name) + "/halt"), "danger", "target-halt-" + t.name)) : ""];
      }), "targets-table"));
    },
  };

  async function testTarget(name) {
    const box = clear($("target-test"));
    box.append(el("p", { class: "muted", text: "testing " + name + "…" }));
    const r = await api("POST", "/api/v1/targets/" + encodeURIComponent(name) + "/test");
    if (r.status !== 202) { clear(box).append(el("p", { class: "error", text: errOf(r) })); return; }
    for (let i = 0; i < 60; i++) {
      await new Promise((ok) => setTimeout(ok, 500));
      const t = await api("GET", "/api/v1/target-tests/" + r.json.id);
      if (t.status === 200 && t.json.state !== "running") {
        clear(box).append(el("p", { id: "target-test-result", class: t.json.state === "ok" ? "ok" : "error", text: t.json.result || t.json.state }),
          el("pre", { text: t.json.output_tail || "" }));
        return;
      }
    }
    clear(box).append(el("p", { class: "error", text: "the test of " + name + " did not end" }));
  }

  pages.config = {
    title: "Configuration",
    async build(root) {
      root.append(el("div", { id: "config-view" }));
      if (can("admin")) {
        root.append(el("h2", { text: "Edit (YAML)" }),
          el("div", { class: "editor" }, el("div", { class: "gutter", id: "gutter" }),
            el("textarea", { id: "config-yaml", spellcheck: "false", wrap: "off" })),
          el("div", { class: "actions" },
            button("Validate", () => this.save(true), "secondary", "config-validate"),
            button("Save", () => this.save(false), "", "config-save"),
            button("Roll back to the previous file", () => this.rollback(), "danger", "config-rollback")),
          el("ul", { class: "findings", id: "findings" }));
        const ta = $("config-yaml");
        ta.addEventListener("input", () => this.gutter([]));
        ta.addEventListener("scroll", () => { $("gutter").scrollTop = ta.scrollTop; });
        await this.loadYaml();
      }
      await this.view();
    },
    async view() {
      const r = await api("GET", "/api/v1/config");
      const box = clear($("config-view"));
      if (r.status !== 200) { box.append(el("p", { class: "error", text: errOf(r) })); return; }
      box.append(el("p", {}, "In force: generation ", el("strong", { id: "config-generation", text: r.json.generation }),
        " from ", mono(r.json.path || "")),
      el("details", {}, el("summary", { text: "The configuration in force (secrets redacted)" }),
        el("pre", { text: JSON.stringify(r.json, null, 2) })));
    },
    async loadYaml() {
      const r = await api("GET", "/api/v1/config/yaml");
      if (!$("config-yaml")) return;
      if (r.status === 200) { $("config-yaml").value = r.text; this.gutter([]); }
      else flash(errOf(r), true);
    },
    gutter(findings) {
      if (!$("config-yaml")) return;
      const g = clear($("gutter"));
      const n = $("config-yaml").value.split("\n").length;
      const bad = new Map(findings.map((f) => [f.line, f]));
      for (let i = 1; i <= n; i++) {
        const f = bad.get(i);
        g.append(el("div", { class: f ? "bad" : null, id: f ? "gutter-bad-" + i : null, title: f ? f.message : null, text: i }));
      }
      g.scrollTop = $("config-yaml").scrollTop;
    },
    async save(dry) {
      const r = await api("PUT", "/api/v1/config" + (dry ? "?dry_run=1" : ""), $("config-yaml").value, "application/yaml");
      const ul = clear($("findings"));
      const f = (r.json && r.json.findings) || [];
      this.gutter(f);
      if (r.status === 200) {
        ul.append(el("li", { class: "ok", id: "config-ok", text: dry ? "valid" : "saved; generation " + r.json.generation + " in force" }));
        if (!dry) this.view();
        return;
      }
      for (const x of f)
        ul.append(el("li", { class: "finding" }, el("a", { href: "#config", text: "line " + x.line + ", column " + x.column,
          onclick: (e) => { e.preventDefault(); this.goto(x.line); } }), ": " + (x.field ? x.field + ": " : "") + x.message));
      if (!f.length) ul.append(el("li", { class: "finding", text: errOf(r) }));
      if (f.length) this.goto(f[0].line);
    },
    goto(line) {
      const ta = $("config-yaml");
      const lines = ta.value.split("\n");
      let pos = 0;
      for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
      ta.focus();
      ta.setSelectionRange(pos, pos + (lines[line - 1] || "").length);
      const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
      ta.scrollTop = Math.max(0, (line - 5) * lh);
    },
    async rollback() {
      if (!window.confirm("Replace the configuration by the previous file?")) return;
      const r = await act("POST", "/api/v1/config/rollback");
      if (r.status === 200) { await this.loadYaml(); this.view(); }
    },
    live() {},
  };

  /* ---- routing and polling -------------------------------------------------- */
  async function route() {
    if (!session) return;
    const name = (location.hash || "#overview").slice(1);
    page = pages[name] ? name : "overview";
    for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.page === page);
    const root = clear($("main"));
    root.append(el("h1", { text: pages[page].title }));
    const body = el("div", { id: "page-" + page });
    root.append(body);
    document.title = "mercure · " + pages[page].title;
    await pages[page].build(body);
    refresh();
    startPolling();
  }
  /* one refresh of a page at a time; a page just opened need not wait
   * for the last one's */
  let busy = null;
  async function refresh() {
    if (!session || !page || busy === page) return;
    const p = page;
    busy = p;
    try { await pages[p].live(); } finally { if (busy === p) busy = null; }
  }
  function startPolling() {
    stopPolling();
    if (!document.hidden) timer = setInterval(refresh, POLL_MS);
  }
  function stopPolling() { if (timer) clearInterval(timer); timer = null; }

  document.addEventListener("DOMContentLoaded", async () => {
    $("login").addEventListener("submit", onLogin);
    $("logout").addEventListener("click", onLogout);
    window.addEventListener("hashchange", route);
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) stopPolling(); else if (session) { refresh(); startPolling(); }
    });
    const r = await api("GET", "/api/v1/session");
    if (r.status === 200 && r.json) startApp(r.json); else showLogin();
  });
})();
