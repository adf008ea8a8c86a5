// The dashboard's entry: who is signed in, the page frame (workspace, navigation, notices) and the router.
// Each view is an ES module under pages/, loaded when first opened; the paths here match DashboardRoutes.PAGES.
import { h, mount } from "./dom.js";
import { get, post, path, setCsrf, whenSignedOut } from "./api.js";
import { errorText } from "./ui.js";
import { applyTheme } from "./theme.js";

/**
 * The workspace sections in the navigation. A later capability adds its page here (and its module under pages/);
 * `admin` sections are offered to admins only (the API refuses the others anyway).
 */
export const SECTIONS = [
  { id: "", label: "Projects", module: "tree" },
  { id: "credentials", label: "Credentials", module: "credentials" },
  { id: "members", label: "Members", module: "members", admin: true },
  { id: "audit", label: "Audit log", module: "audit", admin: true },
  { id: "reminders", label: "Reminders", module: "reminders" },
  { id: "syncs", label: "Syncs", module: "syncs", admin: true } // pages/syncs.js (issue 15)
];

const PUBLIC = [
  [/^\/sign-in$/, "signin"],
  [/^\/sign-up$/, "signup"],
  [/^\/invite\/([^/]+)$/, "invite", ["token"]],
  [/^\/share$/, "share"] // a secret share's link (pages/share.js; the token is in the fragment)
];

const state = { me: null, workspaces: [], access: new Map() };

/** Opens a dashboard path without reloading the page. */
export function go(to, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  route();
}

/** The signed-in person, or null; re-read after sign-in or sign-out. */
export async function refreshMe() {
  try {
    state.me = await get("/v1/me", { quiet401: true });
    setCsrf(state.me.csrfToken);
    state.workspaces = await get("/v1/workspace");
    get("/v1/me/preferences").then(p => applyTheme(p && p.theme), () => {});
  } catch (e) {
    state.me = null;
    state.workspaces = [];
    setCsrf("");
  }
  state.access.clear();
  return state.me && { ...state.me, workspaces: state.workspaces };
}

/** What the signed-in person may do in a workspace: {role, permission, scope}. */
async function accessIn(ws) {
  if (!state.access.has(ws)) {
    let access;
    try { access = await get(path`/v1/workspace/${ws}/me`); }
    catch (e) { access = { role: null, permission: null, scope: null }; }
    state.access.set(ws, access);
  }
  return state.access.get(ws);
}

export async function signOut() {
  try { await post("/v1/auth/logout", {}); } catch (e) { /* already ended */ }
  await refreshMe();
  go("/sign-in");
}

whenSignedOut(() => {
  if (!location.pathname.startsWith("/sign-in")) {
    state.me = null;
    go("/sign-in?next=" + encodeURIComponent(location.pathname + location.search), { replace: true });
  }
});

async function load(name) {
  return import("./pages/" + name + ".js");
}

async function route() {
  const app = document.getElementById("app");
  const where = location.pathname;
  try {
    for (const [pattern, name, keys] of PUBLIC) {
      const m = where.match(pattern);
      if (!m) continue;
      const params = {};
      (keys || []).forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
      const main = bare(app);
      const page = await load(name);
      await page.render(main, { params, me: state.me, go, refreshMe });
      focusMain(main);
      return;
    }
    if (!state.me) {
      go("/sign-in" + (where === "/" ? "" : "?next=" + encodeURIComponent(where + location.search)), { replace: true });
      return;
    }
    if (where === "/") {
      const first = state.workspaces[0];
      go(first ? "/w/" + encodeURIComponent(first.slug) : "/account", { replace: true });
      return;
    }
    if (where === "/account") {
      if (state.workspaces[0]) await accessIn(state.workspaces[0].slug); // the navigation offers admin sections to admins only
      const main = frame(app, null, "account");
      await (await load("account")).render(main, { me: state.me, go, refreshMe, signOut });
      focusMain(main);
      return;
    }
    let m = where.match(/^\/w\/([^/]+)(?:\/p\/([^/]+)(\/shares)?|\/([^/]+))?$/);
    const workspace = m && state.workspaces.find(w => w.slug === decodeURIComponent(m[1]) || w.id === decodeURIComponent(m[1]));
    if (!workspace) return notFound(app);
    const ws = workspace.slug;
    const access = await accessIn(ws);
    const ctx = { ws, workspace, access, me: state.me, go, isAdmin: access.role === "admin" };
    if (m[2] && m[3]) { // a project's secret shares (pages/share.js)
      const main = frame(app, workspace, "");
      await (await load("share")).renderList(main, { ...ctx, params: { prj: decodeURIComponent(m[2]) } });
      focusMain(main);
      return;
    }
    if (m[2]) {
      const main = frame(app, workspace, "");
      await (await load("project")).render(main, { ...ctx, params: { prj: decodeURIComponent(m[2]) } });
      focusMain(main);
      return;
    }
    const section = SECTIONS.find(s => s.id === (m[4] || ""));
    if (!section) return notFound(app);
    const main = frame(app, workspace, section.id);
    await (await load(section.module)).render(main, { ...ctx, params: {} });
    focusMain(main);
  } catch (e) {
    const main = document.getElementById("main") || bare(app);
    mount(main, h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, errorText(e)));
  }
}

function focusMain(main) {
  // the moment a view is drawn and usable: the browser suite reads it to measure pages (performance.getEntriesByName)
  performance.mark("ek-ready");
  const heading = main.querySelector("h1");
  document.title = (heading ? heading.textContent + " · " : "") + "ek";
  // a new view takes the focus (screen readers start there), unless it put the caret in its first field itself
  if (!main.contains(document.activeElement) || document.activeElement === main) main.focus({ preventScroll: true });
}

function notFound(app) {
  const main = frame(app, null, null);
  mount(main, h("h1", {}, "Not found"), h("p", {}, "There is nothing here, or you may not see it."),
    h("p", {}, h("a", { href: "/" }, "Back to the start")));
  focusMain(main);
}

/** A page without navigation: sign-in, sign-up, invitations. */
function bare(app) {
  const main = h("main", { id: "main", class: "narrow", tabindex: "-1" });
  mount(app, main, h("div", { id: "notices", class: "notices", "aria-live": "polite" }));
  return main;
}

/** The frame of a signed-in page: header with workspace switcher and person, navigation, then the page. */
function frame(app, workspace, current) {
  const main = h("main", { id: "main", tabindex: "-1" });
  const switcher = state.workspaces.length > 1 && workspace
    ? h("label", { class: "switcher" }, h("span", { class: "visually-hidden" }, "Workspace"),
      h("select", { onchange: e => go("/w/" + encodeURIComponent(e.target.value)) },
        state.workspaces.map(w => h("option", { value: w.slug, selected: w.slug === workspace.slug }, w.name))))
    : workspace ? h("span", { class: "workspace-name" }, workspace.name) : null;
  const ws = workspace || state.workspaces[0];
  const admin = !!ws && state.access.has(ws.slug) && state.access.get(ws.slug).role === "admin";
  const nav = ws ? h("nav", { "aria-label": "Workspace" }, h("ul", {}, SECTIONS.filter(s => !s.admin || admin).map(s => {
    const href = "/w/" + encodeURIComponent(ws.slug) + (s.id ? "/" + s.id : "");
    return h("li", {}, h("a", { href, "aria-current": current === s.id ? "page" : null }, s.label));
  }))) : null;
  mount(app,
    h("header", { class: "top" },
      h("a", { class: "brand", href: "/" }, "ek"), switcher,
      h("span", { class: "spacer" }),
      h("a", { href: "/account", "aria-current": current === "account" ? "page" : null }, state.me.email),
      h("button", { type: "button", class: "link", onclick: signOut }, "Sign out")),
    h("div", { class: "layout" }, nav, main),
    h("div", { id: "notices", class: "notices", "aria-live": "polite" }));
  return main;
}

// links inside the dashboard change the view without a reload
document.addEventListener("click", e => {
  const a = e.target.closest && e.target.closest("a[href]");
  if (!a || a.target || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/v1/") || url.pathname === "/device") return;
  e.preventDefault();
  go(url.pathname + url.search);
});
window.addEventListener("popstate", route);

refreshMe().then(route);
