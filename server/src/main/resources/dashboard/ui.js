// Shared pieces of the pages: dialogs, notices, copying, the workspace tree and the scope picker.
import { h, mount, uid, field } from "./dom.js";
import { get, path, setCsrf } from "./api.js";

/** A status line read out by screen readers; `kind` is "ok" or "error". */
export function notice(text, kind) {
  const region = document.getElementById("notices");
  if (!region) return;
  const item = h("p", { class: "notice " + (kind || "ok") }, text);
  region.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 9000 : 4000);
}

/** The text of a failed request, for the page. */
export function errorText(e) {
  return e && e.message ? e.message : String(e);
}

/**
 * A modal dialog: a <dialog> (focus kept inside, Escape closes) with a form. `build(form)` returns the fields;
 * `submit(form)` may throw to keep the dialog open with the error shown. Resolves with submit's result or null.
 */
export function dialog({ title, build, submitLabel = "Save", danger = false, submit, cancelLabel = "Cancel" }) {
  return new Promise(resolve => {
    const titleId = uid("dlg");
    const error = h("p", { class: "error", role: "alert" });
    const form = h("form", { method: "dialog", novalidate: false });
    const dlg = h("dialog", { "aria-labelledby": titleId },
      h("h2", { id: titleId }, title), form);
    const submitButton = h("button", { type: "submit", class: danger ? "danger" : "primary" }, submitLabel);
    const cancel = cancelLabel ? h("button", { type: "button", class: "secondary", onclick: () => dlg.close() }, cancelLabel) : null;
    mount(form, build(form), error, h("div", { class: "actions" }, submitButton, cancel));
    let result = null;
    form.addEventListener("submit", async e => {
      e.preventDefault();
      if (!form.reportValidity()) return;
      submitButton.disabled = true;
      error.textContent = "";
      try {
        result = submit ? await submit(form) : true;
        if (result === undefined) result = true;
        dlg.close();
      } catch (err) {
        error.textContent = errorText(err);
      } finally {
        submitButton.disabled = false;
      }
    });
    dlg.addEventListener("close", () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/**
 * Makes `form` one that signs a person in (sign-in, sign-up, accepting an invitation): `send()` posts it and
 * resolves to the server's SignedIn answer, whose CSRF token is then kept; `done()` goes on from there. A refusal
 * shows `failure(err)` in `error`.
 */
export function signingIn(form, button, error, { send, done, failure }) {
  form.addEventListener("submit", async e => {
    e.preventDefault();
    error.textContent = "";
    button.disabled = true;
    try {
      setCsrf((await send()).csrfToken);
      await done();
    } catch (err) {
      error.textContent = failure(err);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** Asks before something is lost; says what. Resolves true when confirmed. */
export function confirmAction(title, lines, confirmLabel) {
  return dialog({
    title, danger: true, submitLabel: confirmLabel || "Delete",
    build: () => h("div", {}, (Array.isArray(lines) ? lines : [lines]).map(line => h("p", {}, line)))
  }).then(r => r === true);
}

/** Copies text to the clipboard without showing it. */
export async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    notice((what || "Value") + " copied to the clipboard.");
  } catch (e) {
    notice("The browser did not allow copying (the clipboard needs https or localhost).", "error");
  }
}

/**
 * The workspace tree a person sees: teams, each with its projects, each with its environments.
 * [{id, name, projects: [{id, name, slug, environments: [{id, name, hasPersonalOverrides}]}]}]
 */
export async function loadTree(ws) {
  const [teams, grouped] = await Promise.all([get(path`/v1/workspace/${ws}/team`), get(path`/v1/workspace/${ws}/project`)]);
  const byTeam = new Map(grouped.map(t => [t.id, t.projects || []]));
  const out = teams.map(t => ({ id: t.id, name: t.name, projects: byTeam.get(t.id) || [] }));
  for (const t of grouped) if (!teams.some(x => x.id === t.id)) out.push({ id: t.id, name: t.name, projects: t.projects || [] });
  await Promise.all(out.flatMap(t => t.projects.map(async p => {
    try { p.environments = await get(path`/v1/workspace/${ws}/project/${p.id}/environment`); }
    catch (e) { p.environments = []; }
  })));
  return out;
}

/** "Full workspace", or the names a scope holds. */
export function describeScope(scope, tree) {
  if (!scope || scope.all) return "Full workspace";
  const names = [];
  const find = (id) => {
    for (const t of tree || []) {
      if (t.id === id) return "team " + t.name;
      for (const p of t.projects) {
        if (p.id === id) return "project " + p.name;
        for (const e of p.environments || []) if (e.id === id) return p.name + " / " + e.name;
      }
    }
    return null;
  };
  for (const id of [...(scope.teams || []), ...(scope.projects || []), ...(scope.environments || [])]) {
    const name = find(id);
    names.push(name || "a deleted item");
  }
  return names.length ? names.join(", ") : "Nothing";
}

/**
 * A scope picker: "Full workspace" or chosen teams, projects and environments (a choice includes what is below it).
 * Returns {element, value()} where value() is the API's scope object.
 */
export function scopePicker(tree, initial) {
  const name = uid("scope");
  const all = h("input", { type: "radio", name, value: "all", checked: !initial || initial.all });
  const some = h("input", { type: "radio", name, value: "some", checked: !!initial && !initial.all });
  const chosen = new Set(initial && !initial.all ? [...(initial.teams || []), ...(initial.projects || []), ...(initial.environments || [])] : []);
  const boxes = [];
  const box = (kind, id, label) => {
    const input = h("input", { type: "checkbox", checked: chosen.has(id), dataset: { kind, id } });
    boxes.push(input);
    return h("label", { class: "check" }, input, label);
  };
  const list = h("ul", { class: "scope-tree" }, tree.map(t => h("li", {},
    box("teams", t.id, "Team " + t.name),
    h("ul", {}, t.projects.map(p => h("li", {},
      box("projects", p.id, "Project " + p.name),
      h("ul", {}, (p.environments || []).map(e => h("li", {}, box("environments", e.id, e.name))))))))));
  const picker = h("fieldset", { class: "scope" }, h("legend", {}, "Scope"),
    h("label", { class: "check" }, all, "Full workspace"),
    h("label", { class: "check" }, some, "Only these teams, projects or environments:"),
    list);
  const sync = () => { list.hidden = !some.checked; };
  all.addEventListener("change", sync);
  some.addEventListener("change", sync);
  sync();
  return {
    element: picker,
    value() {
      if (all.checked) return { all: true };
      const scope = { all: false, teams: [], projects: [], environments: [] };
      for (const b of boxes) if (b.checked) scope[b.dataset.kind].push(b.dataset.id);
      return scope;
    },
    validate() {
      if (some.checked && !boxes.some(b => b.checked)) throw new Error("Choose at least one team, project or environment, or the full workspace.");
    }
  };
}

export { field };
