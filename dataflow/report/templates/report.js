// The report page: pages of rows are scripts loaded on demand; every text goes in with textContent.
"use strict";
const CONFIG = JSON.parse(document.getElementById("dataflow-config").textContent);
const cache = new Map(), waiting = new Map();
window.dataflowReport = {
  page(set, k, rows) { const key = set + ":" + k; cache.set(key, rows); (waiting.get(key) || []).forEach(f => f(rows)); waiting.delete(key); }
};
function pageCount(set) { return Math.max(1, Math.ceil((CONFIG.counts[set] || 0) / CONFIG.pageSize)); }
function loadPage(set, k) {
  const key = set + ":" + k;
  if (cache.has(key)) return Promise.resolve(cache.get(key));
  if (k >= Math.ceil((CONFIG.counts[set] || 0) / CONFIG.pageSize)) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    if (!waiting.has(key)) {
      waiting.set(key, []);
      const s = document.createElement("script");
      s.src = CONFIG.files + "/data/" + set + "-" + String(k).padStart(5, "0") + ".js";
      s.onerror = () => reject(new Error("cannot load " + s.src));
      document.head.appendChild(s);
    }
    waiting.get(key).push(resolve);
  });
}
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined && text !== null) e.textContent = String(text); return e; }
function card(row) {
  const c = el("article", "card " + row.s); c.dataset.status = row.s;
  const meta = el("div", "meta"); meta.append(el("span", "badge", row.s), el("span", null, "#" + row.i + " \u00b7 id " + row.id));
  c.append(meta);
  if (row.img.length) {
    const t = el("div", "thumbs");
    for (const [path, thumb] of row.img) {
      if (thumb) { const im = el("img"); im.src = thumb; im.alt = path; im.title = path; im.loading = "lazy"; t.append(im); }
      else t.append(el("span", "missing", "image missing: " + path));
    }
    c.append(t);
  }
  if (row.c) {
    const a = el("div", "article", row.c); c.append(a);
    const more = el("button", "more", "more"); more.onclick = () => { a.classList.toggle("open"); more.textContent = a.classList.contains("open") ? "less" : "more"; };
    c.append(more);
  }
  if (row.q.length) {
    const ol = el("ol", "qas");
    for (const [q, a, flag] of row.q) { const li = el("li"); li.append(el("span", "q", q), el("br"), el("span", "a", a)); if (flag) li.append(el("span", "flag", flag)); ol.append(li); }
    c.append(ol);
  }
  if (row.e) c.append(el("div", "error", "error: " + row.e));
  if (row.r.length) c.append(el("div", "why", row.r.join("\n")));
  return c;
}
const state = { set: "all", page: 0, query: "", matches: null, searchToken: 0 };
function rowText(row) { return (row.c + "\n" + row.q.map(x => x[0] + "\n" + x[1]).join("\n") + "\n" + row.id).toLowerCase(); }
function show(rows, total) {
  const main = document.getElementById("cards"); main.replaceChildren(...rows.map(card));
  const pages = Math.max(1, Math.ceil(total / CONFIG.pageSize));
  document.getElementById("page").textContent = "page " + (state.page + 1) + " of " + pages;
  document.getElementById("prev").disabled = state.page === 0;
  document.getElementById("next").disabled = state.page + 1 >= pages;
  document.body.dataset.ready = "1";
}
async function render() {
  document.body.dataset.ready = "0";
  if (state.matches) {
    const start = state.page * CONFIG.pageSize;
    show(state.matches.slice(start, start + CONFIG.pageSize), state.matches.length);
  } else {
    show(await loadPage(state.set, state.page), CONFIG.counts[state.set] || 0);
    document.getElementById("status").textContent = (CONFIG.counts[state.set] || 0) + " rows";
  }
}
async function search() {
  const token = ++state.searchToken, query = state.query.trim().toLowerCase();
  state.page = 0;
  if (!query) { state.matches = null; return render(); }
  const matches = [], pages = pageCount(state.set);
  for (let k = 0; k < pages; k++) {
    const rows = await loadPage(state.set, k);
    if (token !== state.searchToken) return;
    for (const row of rows) if (rowText(row).includes(query)) matches.push(row);
    document.getElementById("status").textContent = "searched " + Math.min((k + 1) * CONFIG.pageSize, CONFIG.counts[state.set]) + " of " + CONFIG.counts[state.set] + " rows: " + matches.length + " matches";
  }
  state.matches = matches;
  render();
}
document.getElementById("filter").onchange = e => { state.set = e.target.value; state.page = 0; state.matches = null; state.query ? search() : render(); };
document.getElementById("search").oninput = e => { state.query = e.target.value; search(); };
document.getElementById("prev").onclick = () => { state.page = Math.max(0, state.page - 1); render(); };
document.getElementById("next").onclick = () => { state.page += 1; render(); };
render();
