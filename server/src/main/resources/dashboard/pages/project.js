// A project's secrets: a grid of keys × environments. Values stay masked until revealed; a cell opens a dialog to
// reveal, copy (without showing), edit, resolve references and hold a personal override where the environment
// allows one. Admins manage the project's environments here too.
import { h, mount, field, uid } from "../dom.js";
import { get, post, put, patch, del, path } from "../api.js";
import { dialog, confirmAction, notice, errorText, copy } from "../ui.js";
import { parseDotenv } from "../dotenv.js";
import { showHistory, deletedPanel } from "./history.js";
import { exportSecrets } from "./export.js";
import { reminderEditor } from "./reminders.js";

const MASK = "••••••••";

export async function render(main, ctx) {
  const { ws } = ctx;
  const grouped = await get(path`/v1/workspace/${ws}/project`);
  let project = null;
  let team = null;
  for (const t of grouped) for (const p of t.projects || []) {
    if (p.slug === ctx.params.prj || p.id === ctx.params.prj) { project = p; team = t; }
  }
  if (!project) {
    mount(main, h("h1", {}, "Project not found"), h("p", {}, "There is no such project, or you may not see it."));
    return;
  }
  const prj = project.id;
  const base = path`/v1/workspace/${ws}/project/${prj}`;
  const writer = ctx.access.permission === "read-write";
  const admin = ctx.isAdmin && writer;
  const refresh = () => render(main, ctx);
  const [environments, secrets, deletedSection] = await Promise.all([get(base + "/environment"), get(base + "/secret"),
    deletedPanel(ctx, base, writer, refresh)]);
  const envName = id => (environments.find(e => e.id === id) || { name: "?" }).name;

  let revealed = false;
  let filter = "";
  const tbody = h("tbody");
  const count = h("p", { class: "muted", role: "status" });

  const valueOf = (secret, envId) => {
    const personal = secret.values.find(v => v.environmentId === envId && v.isPersonal);
    const shared = secret.values.find(v => v.environmentId === envId && !v.isPersonal);
    return { personal, shared, shown: personal || shared };
  };

  // Rows are built once; the filter hides and shows them and "Show values" swaps the cells' texts, so both stay
  // cheap with hundreds of keys.
  // each shown value's text node and value, so "Show values" only swaps texts
  const valueTexts = [];
  const buildRow = s => h("tr", {},
    h("th", { scope: "row", class: "key" }, h("code", {}, s.name)),
    environments.map(e => {
      const { personal, shown } = valueOf(s, e.id);
      const label = s.name + " in " + e.name + (shown ? (personal ? ", personal override" : "") : ", no value");
      const text = document.createTextNode(shown ? (revealed ? shown.value : MASK) : "—");
      if (shown) valueTexts.push({ text, value: shown.value });
      return h("td", {}, h("button", { type: "button", class: "cell" + (shown ? "" : " empty") + (personal ? " personal" : ""),
        "aria-label": label, onclick: () => openCell(s, e) },
      text, personal ? h("span", { class: "badge" }, "personal") : null,
      shown && shown.reminder ? h("span", { class: "badge subtle" }, "reminder") : null));
    }),
    h("td", { class: "row-actions" }, writer ? h("button", { type: "button", class: "secondary small", onclick: () => editKey(s) },
      "Rename", h("span", { class: "visually-hidden" }, " " + s.name)) : null,
    writer ? h("button", { type: "button", class: "danger small", onclick: () => deleteKey(s) },
      "Delete", h("span", { class: "visually-hidden" }, " " + s.name)) : null));

  let built = null;
  const drawRows = () => {
    if (!built) {
      built = { revealed, rows: secrets.map(s => ({ key: s.name.toLowerCase(), tr: buildRow(s) })) };
      mount(tbody, built.rows.map(r => r.tr));
    } else if (built.revealed !== revealed) {
      built.revealed = revealed;
      for (const v of valueTexts) v.text.data = revealed ? v.value : MASK;
    }
    const needle = filter.toLowerCase();
    let shown = 0;
    for (const r of built.rows) {
      const hit = !needle || r.key.includes(needle);
      if (r.tr.hidden === hit) r.tr.hidden = !hit;
      if (hit) shown++;
    }
    count.textContent = shown === secrets.length ? secrets.length + " secret(s)" : shown + " of " + secrets.length + " secret(s)";
  };

  const openCell = (secret, env) => {
    const { personal, shared } = valueOf(secret, env.id);
    const resolved = h("output", { class: "resolved", "aria-live": "polite" });
    const valueBox = (initial, labelText, name) => {
      // masked: the text area stays hidden (and out of the accessibility tree) until revealed
      const input = h("textarea", { name, rows: 3, spellcheck: "false", autocomplete: "off", class: "secret-value", readonly: !writer, hidden: true });
      input.value = initial ? initial.value : "";
      const mask = h("span", { class: "mask", "aria-hidden": "true" }, initial ? MASK : "(none)");
      const reveal = h("button", { type: "button", class: "secondary small", "aria-pressed": "false", onclick: () => {
        input.hidden = !input.hidden;
        mask.hidden = !input.hidden;
        reveal.setAttribute("aria-pressed", String(!input.hidden));
        reveal.textContent = input.hidden ? (writer ? "Reveal / edit" : "Reveal") : "Hide";
        if (!input.hidden) input.focus();
      } }, writer ? "Reveal / edit" : "Reveal");
      const copyButton = h("button", { type: "button", class: "secondary small", disabled: !initial, onclick: () => copy(input.value, labelText) }, "Copy");
      // secret shares (pages/share.js): a link to this stored value, for someone outside the workspace
      const shareButton = writer && initial ? h("button", { type: "button", class: "secondary small",
        onclick: () => import("./share.js").then(m => m.shareValue({ ws, prj, secret, env, personal: name === "personal" })) }, "Share") : null;
      return { input, element: h("div", { class: "value-box" }, h("label", { class: "field" }, h("span", { class: "label" }, labelText), mask, input),
        h("div", { class: "actions" }, reveal, copyButton, shareButton)) };
    };
    const sharedBox = valueBox(shared, "Value in " + env.name, "shared");
    const personalBox = env.hasPersonalOverrides && ctx.me ? valueBox(personal, "My personal override", "personal") : null;
    const hasRef = v => v && v.value.includes("${");
    // reminders (pages/reminders.js): one editor per existing value; its change rides on this dialog's PUT
    const reminders = [shared && reminderEditor(shared, { writer, label: "Reminder on the value in " + env.name }),
      personalBox && personal && reminderEditor(personal, { writer, label: "Reminder on my override" })].filter(Boolean);
    dialog({
      title: secret.name + " · " + env.name, submitLabel: writer ? "Save" : "Close", cancelLabel: writer ? "Cancel" : null,
      build: form => h("div", {},
        sharedBox.element,
        personalBox ? h("div", {}, personalBox.element,
          h("p", { class: "hint" }, "Only you see your override; your sign-ins and CLI use it instead of the shared value. Leave it empty to use the shared value.")) : null,
        (hasRef(shared) || hasRef(personal)) ? h("div", {},
          h("button", { type: "button", class: "secondary small", onclick: async () => {
            resolved.textContent = "";
            resolved.classList.remove("error");
            try {
              const s = await get(base + "/secret/" + encodeURIComponent(secret.name) + "?environmentId=" + encodeURIComponent(env.id) + "&resolve=true");
              const v = (s.values.find(x => x.environmentId === env.id && x.isPersonal) || s.values.find(x => x.environmentId === env.id) || {}).value;
              resolved.textContent = v === undefined ? "(no value)" : v;
            } catch (e) {
              resolved.classList.add("error");
              resolved.textContent = "Cannot resolve: " + errorText(e);
            }
          } }, "Show resolved value"), resolved) : null,
        reminders.map(r => r.element),
        h("div", { class: "actions" }, h("button", { type: "button", class: "secondary small", onclick: () => {
          form.closest("dialog").close();
          showHistory(ctx, base, secret, env, writer, refresh).catch(e => notice(errorText(e), "error"));
        } }, "History"))),
      submit: async () => {
        if (!writer) return true;
        const values = [];
        if (sharedBox.input.value !== (shared ? shared.value : "")) values.push({ environmentId: env.id, value: sharedBox.input.value, isPersonal: false });
        if (personalBox && personalBox.input.value !== (personal ? personal.value : "")) values.push({ environmentId: env.id, value: personalBox.input.value, isPersonal: true });
        for (const r of reminders) r.apply(values);
        if (!values.length) return true;
        if (!sharedBox.input.value && shared && !await confirmAction("Remove the value?", "The value of " + secret.name + " in " + env.name + " will be deleted.", "Remove value")) {
          throw new Error("Nothing was saved.");
        }
        await put(base + "/secret/" + encodeURIComponent(secret.id), { values });
        notice("Saved.");
        return "saved";
      }
    }).then(r => r === "saved" && refresh());
  };

  const editKey = secret => dialog({
    title: "Rename " + secret.name, submitLabel: "Rename",
    build: () => field("Key", h("input", { name: "key", required: true, maxlength: 48, value: secret.name, spellcheck: "false", autocomplete: "off" })),
    submit: async form => { await put(base + "/secret/" + encodeURIComponent(secret.id), { name: form.key.value.trim(), values: [] }); notice("Renamed."); }
  }).then(r => r && refresh());

  const deleteKey = async secret => {
    const where = [...new Set(secret.values.filter(v => !v.isPersonal).map(v => envName(v.environmentId)))];
    if (!await confirmAction("Delete " + secret.name + "?", "Its values in " + (where.join(", ") || "every environment")
      + " and everyone's personal overrides of it are deleted. It cannot be undone.", "Delete secret")) return;
    try { await del(base + "/secret/" + encodeURIComponent(secret.id)); notice("Deleted."); refresh(); }
    catch (e) { notice(errorText(e), "error"); }
  };

  const envChoice = () => h("fieldset", {}, h("legend", {}, "Environments"),
    environments.map(e => h("label", { class: "check" }, h("input", { type: "checkbox", name: "env", value: e.id, checked: true }), e.name)));
  const chosenEnvs = form => [...form.querySelectorAll("input[name=env]:checked")].map(i => i.value);

  const addSecret = () => dialog({
    title: "Add a secret", submitLabel: "Add",
    build: () => h("div", {},
      field("Key", h("input", { name: "key", required: true, maxlength: 48, spellcheck: "false", autocomplete: "off", pattern: "[A-Za-z0-9_\\-]+" }),
        "Letters, digits, _ and -. Reference others in a value as ${KEY} or ${environment.KEY}."),
      field("Value", h("textarea", { name: "value", rows: 3, required: true, spellcheck: "false", autocomplete: "off" })),
      envChoice()),
    submit: async form => {
      const envs = chosenEnvs(form);
      if (!envs.length) throw new Error("Choose at least one environment.");
      await post(base + "/secret", { environments: envs, secrets: [{ key: form.key.value.trim(), value: form.value.value, type: "runtime", dataType: "text" }] });
      notice("Secret added.");
    }
  }).then(r => r && refresh());

  const importEnv = () => dialog({
    title: "Import a .env file", submitLabel: "Import",
    build: () => h("div", {},
      field("Paste the file", h("textarea", { name: "text", rows: 10, required: true, spellcheck: "false", autocomplete: "off", class: "mono" }),
        "KEY=value lines; # comments, export and quotes are understood. Existing keys get the new value."),
      envChoice()),
    submit: async form => {
      const envs = chosenEnvs(form);
      if (!envs.length) throw new Error("Choose at least one environment.");
      const { entries, errors } = parseDotenv(form.text.value);
      if (errors.length) throw new Error(errors.slice(0, 3).join(" "));
      if (!entries.length) throw new Error("The text holds no KEY=value line.");
      const known = entries.filter(e => secrets.some(s => s.name === e.key)).length;
      // one upsert: new keys created, existing values updated, all in one transaction (all or nothing)
      await post(base + "/secret", { mode: "upsert", environments: envs, secrets: entries.map(e => ({ key: e.key, value: e.value, type: "runtime", dataType: "text" })) });
      notice("Imported " + entries.length + " key(s): " + (entries.length - known) + " new, " + known + " updated.");
    }
  }).then(r => r && refresh());

  const search = h("input", { type: "search", placeholder: "Filter by key", oninput: e => { filter = e.target.value; drawRows(); } });
  const revealAll = h("input", { type: "checkbox", onchange: e => { revealed = e.target.checked; drawRows(); } });

  mount(main,
    h("p", { class: "crumbs" }, h("a", { href: "/w/" + encodeURIComponent(ws) }, "Projects"), " / ", team.name),
    h("div", { class: "page-head" }, h("h1", {}, project.name),
      h("div", { class: "actions" },
        writer && environments.length ? h("button", { type: "button", class: "primary", onclick: addSecret }, "Add secret") : null,
        writer && environments.length ? h("button", { type: "button", class: "secondary", onclick: importEnv }, "Import .env") : null,
        environments.length ? h("button", { type: "button", class: "secondary", onclick: () => exportSecrets({ base, project, environments }) }, "Export") : null,
        h("a", { class: "button secondary", href: "/w/" + encodeURIComponent(ws) + "/p/" + encodeURIComponent(project.slug) + "/shares" }, "Shares"))),
    environments.length ? h("div", { class: "toolbar" }, field("Filter", search), h("label", { class: "check" }, revealAll, "Show values"), count) : null,
    environments.length
      ? h("div", { class: "grid-wrap" }, h("table", { class: "grid" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"),
          environments.map(e => h("th", { scope: "col" }, e.name, e.hasPersonalOverrides ? h("span", { class: "badge subtle", title: "Personal overrides allowed" }, "overrides") : null)),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
        tbody))
      : h("p", { class: "muted" }, "This project has no environment yet" + (admin ? ": add one below." : ".")),
    secrets.length || !environments.length ? null : h("p", { class: "muted" }, "No secrets yet."),
    deletedSection,
    admin ? environmentsPanel(ctx, base, environments, secrets, refresh) : null,
    admin ? projectPanel(ctx, project, environments, secrets, refresh) : null);
  drawRows();
}

/** "A, B, C" or "A, B, … and 7 more". */
const someNames = (names, most = 8) => names.length <= most ? names.join(", ") : names.slice(0, most).join(", ") + " and " + (names.length - most) + " more";

function environmentsPanel(ctx, base, environments, secrets, refresh) {
  const add = () => dialog({
    title: "New environment", submitLabel: "Create environment",
    build: () => h("div", {}, field("Name", h("input", { name: "name", required: true, maxlength: 64 })),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "overrides" }), "Allow personal overrides")),
    submit: async form => {
      await post(base + "/environment", { name: form.name.value.trim(), hasPersonalOverrides: form.overrides.checked });
      notice("Environment created.");
    }
  }).then(r => r && refresh());
  const rename = env => dialog({
    title: "Rename environment " + env.name, submitLabel: "Rename",
    build: () => field("Name", h("input", { name: "name", required: true, maxlength: 64, value: env.name })),
    submit: async form => { await patch(base + "/environment/" + encodeURIComponent(env.id), { name: form.name.value.trim() }); notice("Renamed."); }
  }).then(r => r && refresh());
  const toggle = async (env, on) => {
    if (!on && !await confirmAction("Turn off personal overrides in " + env.name + "?",
      "People's overrides in it stop being used; everyone gets the shared values.", "Turn off")) return refresh();
    try { await patch(base + "/environment/" + encodeURIComponent(env.id), { hasPersonalOverrides: on }); notice("Saved."); }
    catch (e) { notice(errorText(e), "error"); }
    refresh();
  };
  const remove = async env => {
    const keys = secrets.filter(s => s.values.some(v => v.environmentId === env.id && !v.isPersonal)).map(s => s.name);
    if (!await confirmAction("Delete environment " + env.name + "?", [(keys.length
      ? "Its " + keys.length + " secret value(s) (" + someNames(keys) + ") and everyone's personal overrides in it are deleted."
      : "It holds no secret value; everyone's personal overrides in it are deleted.") + " It cannot be undone.",
      "Tokens and members scoped to it lose that part of their scope."], "Delete environment")) return;
    try { await del(base + "/environment/" + encodeURIComponent(env.id)); notice("Environment deleted."); refresh(); }
    catch (e) { notice(errorText(e), "error"); }
  };
  return h("section", { class: "panel" }, h("div", { class: "section-head" }, h("h2", {}, "Environments"),
    h("button", { type: "button", class: "secondary small", onclick: add }, "New environment")),
  h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Personal overrides"), h("th", {}, h("span", { class: "visually-hidden" }, "Actions")))),
    h("tbody", {}, environments.map(env => {
      const id = uid("ovr");
      return h("tr", {}, h("td", {}, env.name),
        h("td", {}, h("input", { type: "checkbox", id, checked: env.hasPersonalOverrides, onchange: e => toggle(env, e.target.checked) }),
          h("label", { for: id }, "Allowed", h("span", { class: "visually-hidden" }, " in " + env.name))),
        h("td", { class: "row-actions" },
          h("button", { type: "button", class: "secondary small", onclick: () => rename(env) }, "Rename", h("span", { class: "visually-hidden" }, " " + env.name)),
          h("button", { type: "button", class: "danger small", onclick: () => remove(env) }, "Delete", h("span", { class: "visually-hidden" }, " " + env.name))));
    }))));
}

function projectPanel(ctx, project, environments, secrets, refresh) {
  const base = path`/v1/workspace/${ctx.ws}/project/${project.id}`;
  const rename = () => dialog({
    title: "Rename project " + project.name, submitLabel: "Save",
    build: () => h("div", {}, field("Name", h("input", { name: "name", required: true, maxlength: 64, value: project.name })),
      field("Slug", h("input", { name: "slug", required: true, maxlength: 48, value: project.slug, pattern: "[a-z0-9][a-z0-9-]*" }),
        "Changing it changes the project's URLs and what the CLI's configuration must name.")),
    submit: async form => {
      const updated = await patch(base, { name: form.name.value.trim(), slug: form.slug.value });
      notice("Project saved.");
      return updated;
    }
  }).then(updated => updated && ctx.go("/w/" + encodeURIComponent(ctx.ws) + "/p/" + encodeURIComponent(updated.slug || project.slug), { replace: true }));
  const remove = async () => {
    if (!await confirmAction("Delete project " + project.name + "?", ["Its " + environments.length + " environment(s)" + (environments.length ? " (" + someNames(environments.map(e => e.name)) + ")" : "")
      + " and " + secrets.length + " secret(s)" + (secrets.length ? " (" + someNames(secrets.map(x => x.name)) + ")" : "")
      + ", with every value and personal override, are deleted. It cannot be undone."], "Delete project")) return;
    try { await del(base); notice("Project deleted."); ctx.go("/w/" + encodeURIComponent(ctx.ws)); }
    catch (e) { notice(errorText(e), "error"); }
  };
  return h("section", { class: "panel" }, h("h2", {}, "Project"),
    h("p", {}, "Slug: ", h("code", {}, project.slug)),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: rename }, "Rename project"),
      h("button", { type: "button", class: "danger", onclick: remove }, "Delete project")));
}
