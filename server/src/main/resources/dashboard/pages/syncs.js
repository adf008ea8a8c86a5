// Syncs (issue 15), admins only: the workspace's syncs and how they go (status, last success, last error and its
// reason, pending changes, next attempt), pause / resume / sync now / delete, and "Add a sync": the provider's wizard
// drawn from the form definitions the API returns (GET /v1/sync/{slug}/flow), so a new target needs no code here.
import { h, mount, field, uid, when, relative } from "../dom.js";
import { get, post, del, path } from "../api.js";
import { dialog, confirmAction, notice, errorText, copy, loadTree } from "../ui.js";

/** How often the open page re-reads the syncs' status (a push runs in the background on the server). */
const POLL_MILLIS = 15000;

export async function render(main, ctx) {
  const { ws } = ctx;
  if (!ctx.isAdmin) {
    mount(main, h("h1", {}, "Syncs"), h("p", {}, "Only workspace admins manage syncs."));
    return;
  }
  const base = path`/v1/workspace/${ws}/sync`;
  const [providers, tree] = await Promise.all([get("/v1/sync"), loadTree(ws).catch(() => [])]);
  const titles = new Map(providers.map(p => [p.slug, p.title]));
  const envNames = new Map();
  for (const t of tree) for (const p of t.projects) for (const e of p.environments || []) envNames.set(e.id, p.name + " / " + e.name);

  const tbody = h("tbody");
  const error = h("p", { class: "error", role: "alert" });
  const count = h("p", { class: "muted", role: "status" });
  const checked = h("p", { class: "muted small" });
  const table = h("div", { class: "table-wrap" }, h("table", { class: "syncs" },
    h("thead", {}, h("tr", {}, ["Sync", "Environment", "Status", "Last success", "Last error"].map(t => h("th", { scope: "col" }, t)),
      h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))), tbody));

  const load = async () => {
    try {
      const list = await get(base);
      error.textContent = "";
      tbody.replaceChildren(...list.map(row));
      table.hidden = list.length === 0;
      count.textContent = list.length ? list.length + " sync(s)" : "No syncs yet. Add one to push an environment's secrets to another system.";
      checked.textContent = "Status as of " + new Date().toLocaleTimeString() + ".";
    } catch (e) { error.textContent = errorText(e); }
  };

  const act = async (s, what, button, run) => {
    button.disabled = true;
    try {
      await run();
      notice(what + ": " + s.name + ".");
    } catch (e) {
      error.textContent = errorText(e);
    }
    await load();
  };

  const remove = async s => {
    if (!await confirmAction("Delete the sync " + s.name + "?",
      ["Nothing is pushed from now on, and its stored credential is erased. What it already pushed stays where it is."], "Delete sync")) return;
    try {
      await del(base + "/" + encodeURIComponent(s.id));
      notice("Sync " + s.name + " deleted.");
    } catch (e) { error.textContent = errorText(e); }
    await load();
  };

  const row = s => {
    const label = h("span", { class: "visually-hidden" }, " " + s.name);
    const button = (text, cls, onclick) => h("button", { type: "button", class: cls + " small", onclick }, text, label.cloneNode(true));
    const actions = [];
    if (s.status === "active") {
      actions.push(button("Sync now", "secondary", e => act(s, "Push requested", e.currentTarget, () => post(base + "/" + encodeURIComponent(s.id) + "/run"))));
      actions.push(button("Pause", "secondary", e => act(s, "Paused", e.currentTarget, () => post(base + "/" + encodeURIComponent(s.id) + "/pause"))));
    } else if (s.status === "paused") {
      actions.push(button("Resume", "secondary", e => act(s, "Resumed", e.currentTarget, () => post(base + "/" + encodeURIComponent(s.id) + "/resume"))));
    } else if (s.status === "draft" && titles.has(s.provider)) {
      actions.push(button("Continue setup", "secondary", () => wizard(s.provider, s.id, "auth")));
    }
    actions.push(button("Delete", "danger", () => remove(s)));
    const environment = s.environmentId ? envNames.get(s.environmentId) || "an environment you may not see" : "not chosen yet";
    return h("tr", { class: s.status === "active" ? null : "inactive", dataset: { sync: s.id } },
      h("th", { scope: "row" }, h("strong", {}, s.name), h("div", { class: "muted" }, titles.get(s.provider) || s.provider),
        settingsText(s.settings) ? h("div", { class: "muted settings" }, settingsText(s.settings)) : null),
      h("td", {}, environment),
      h("td", {}, h("span", { class: "badge" + (s.status === "active" ? "" : " subtle") }, s.status),
        s.status === "draft" ? null : h("div", { class: "muted" }, s.pending ? "changes pending" : "up to date")),
      h("td", {}, s.lastSuccessAt ? [when(s.lastSuccessAt), h("div", { class: "muted" }, relative(s.lastSuccessAt))] : "never"),
      h("td", {}, s.lastError ? [h("span", { class: "error" }, s.lastError), h("div", { class: "muted" }, when(s.lastErrorAt))] : "—",
        s.nextAttemptAt && s.status === "active"
          ? h("div", { class: "muted" }, "Next attempt " + when(s.nextAttemptAt) + (s.attempts ? ", after " + s.attempts + " failed attempt(s)" : ""))
          : null),
      h("td", { class: "row-actions" }, actions));
  };

  /** Walks a sync's wizard from `step` to its end, one dialog per step; closing a dialog leaves the draft to continue later. */
  const wizard = async (slug, id, step) => {
    const title = titles.get(slug) || slug;
    while (step) {
      let form;
      try { form = await get("/v1/sync/" + encodeURIComponent(slug) + "/flow?" + new URLSearchParams({ syncConfigId: id, step })); }
      catch (e) { notice(errorText(e), "error"); break; }
      let controls = [];
      const answer = await dialog({
        title: form.title,
        submitLabel: form.next ? "Continue" : "Finish",
        build: () => {
          controls = form.fields.map(control);
          return h("div", {}, h("p", { class: "muted" }, title + " sync, step " + stepNumber(step) + " of 3."), controls.map(c => c.element),
            form.fields.length ? null : h("p", {}, "Nothing to fill in here."));
        },
        submit: async () => {
          const body = {};
          for (const c of controls) {
            c.invalid(false);
            body[c.name] = c.value();
          }
          try {
            return await post("/v1/sync/" + encodeURIComponent(slug) + "/flow?" + new URLSearchParams({ syncConfigId: id, step }), body);
          } catch (e) {
            // the API names the field it refused: mark it, so the error sits next to what to fix
            const named = /field '([^']+)'/.exec(errorText(e));
            const bad = named && controls.find(c => c.name === named[1]);
            if (bad) bad.invalid(true);
            throw e;
          }
        }
      });
      if (!answer) {
        notice("The sync is kept as a draft: continue its setup from the list.");
        break;
      }
      if (answer.shownOnce && Object.keys(answer.shownOnce).length) await showOnce(answer.shownOnce, form.fields);
      step = answer.next;
      if (!step) notice("Sync " + (answer.status === "active" ? "set up: its first push comes shortly." : "saved."));
    }
    await load();
  };

  const add = async () => {
    if (!providers.length) { notice("This server has no sync providers.", "error"); return; }
    const slug = await dialog({
      title: "Add a sync", submitLabel: "Continue",
      build: () => h("fieldset", {}, h("legend", {}, "Provider"), providers.map((p, i) =>
        h("label", { class: "check" }, h("input", { type: "radio", name: "provider", value: p.slug, checked: i === 0, required: true }), p.title))),
      submit: async form => {
        const chosen = form.querySelector("input[name=provider]:checked");
        if (!chosen) throw new Error("Choose a provider.");
        const started = await post("/v1/sync/" + encodeURIComponent(chosen.value) + "/start");
        return { slug: chosen.value, started };
      }
    });
    if (slug) await wizard(slug.slug, slug.started.syncConfigId, slug.started.next);
  };

  mount(main,
    h("div", { class: "page-head" }, h("h1", {}, "Syncs"),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: () => load() }, "Refresh"),
        h("button", { type: "button", class: "primary", onclick: add }, "Add a sync"))),
    h("p", { class: "hint" }, "Each sync pushes one environment's shared values (never personal overrides) to another system whenever they change. Pushes run on the server; this page re-reads their status every " + POLL_MILLIS / 1000 + " seconds."),
    error, count, table, checked);
  await load();

  // a light poll while this page is open: it stops once the page is left (its table is no longer in the document)
  const timer = setInterval(() => {
    if (!table.isConnected) { clearInterval(timer); return; }
    if (!document.hidden && !document.querySelector("dialog[open]")) load();
  }, POLL_MILLIS);
}

/** A sync's non-secret settings (where it pushes), as "name: value · …"; the credential is never among them. */
function settingsText(settings) {
  return Object.entries(settings || {}).map(([k, v]) => k + ": " + v).join(" · ");
}

function stepNumber(step) {
  return { auth: 1, target: 2, mapping: 3 }[step] || "?";
}

/**
 * One field of a step's form, drawn from its definition: {name, label, type, required, hint?, options?, value?}.
 * Returns {name, element, value(), invalid(bool)}. A secret is a password input the browser neither fills nor keeps.
 */
function control(f) {
  let input;
  switch (f.type) {
    case "boolean":
      input = h("input", { type: "checkbox", name: f.name, checked: f.value === "true" });
      break;
    case "select":
      input = h("select", { name: f.name, required: f.required },
        f.required ? null : h("option", { value: "" }, "—"),
        (f.options || []).map(o => h("option", { value: o.value, selected: o.value === f.value }, o.label)));
      break;
    case "textarea":
      input = h("textarea", { name: f.name, rows: 4, required: f.required, spellcheck: "false", value: f.value || "" });
      break;
    case "secret":
      input = h("input", { type: "password", name: f.name, required: f.required, autocomplete: "off", spellcheck: "false", class: "mono" });
      break;
    case "url":
      input = h("input", { type: "url", name: f.name, required: f.required, autocomplete: "off", spellcheck: "false", value: f.value || "" });
      break;
    default:
      input = h("input", { type: "text", name: f.name, required: f.required, autocomplete: "off", value: f.value || "" });
  }
  let element;
  if (f.type === "boolean") {
    element = h("label", { class: "check" }, input, " " + f.label);
    if (f.hint) {
      const hint = h("span", { class: "hint", id: uid("hint") }, f.hint);
      input.setAttribute("aria-describedby", hint.id);
      element = h("div", { class: "field-group" }, element, hint);
    }
  } else {
    element = field(f.label + (f.required ? "" : " (optional)"), input, f.hint);
  }
  if (f.type === "select" && f.required && !(f.options || []).length) {
    element = h("div", {}, element, h("p", { class: "warning", role: "note" }, "There is nothing to choose here yet."));
  }
  return {
    name: f.name,
    element,
    value: () => f.type === "boolean" ? input.checked : input.value.trim(),
    invalid: on => { if (on) { input.setAttribute("aria-invalid", "true"); input.focus(); } else input.removeAttribute("aria-invalid"); }
  };
}

/** What a step made and shows this once (a generated signing secret), with a copy button and a warning. */
function showOnce(values, fields) {
  const labels = new Map(fields.map(f => [f.name, f.label]));
  return dialog({
    title: "Copy it now", submitLabel: "I have copied it", cancelLabel: null,
    build: () => h("div", {},
      h("p", { class: "warning", role: "note" }, "This is the only time it is shown: the server keeps it sealed and never returns it. Give it to the receiving side now."),
      Object.entries(values).map(([name, value]) => {
        const label = labels.get(name) || name;
        const out = h("input", { type: "text", readonly: true, class: "mono token", value, autocomplete: "off", spellcheck: "false", dataset: { shownOnce: name } });
        return h("div", {}, field(label, out),
          h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => copy(value, label) }, "Copy " + label.toLowerCase())));
      }))
  });
}
