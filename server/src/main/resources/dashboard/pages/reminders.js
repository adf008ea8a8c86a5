// Reminders on secret values: the workspace's due and upcoming reminders (complete one: a one-time reminder goes, a
// recurring one moves to its next date), and the reminder part of a value's dialog on the project page
// (reminderEditor), which adds its change to the dialog's own PUT of the secret's values.
import { h, mount, field, uid, when, relative } from "../dom.js";
import { get, post, path } from "../api.js";
import { notice, errorText } from "../ui.js";

export async function render(main, ctx) {
  const { ws } = ctx;
  const writer = ctx.access.permission === "read-write";
  const base = path`/v1/workspace/${ws}/reminders`;
  const tbody = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const error = h("p", { class: "error", role: "alert" });
  const count = h("p", { class: "muted", role: "status" });
  const dueOnly = h("input", { type: "checkbox", name: "due" });
  let cursor = null;
  let shown = 0;

  const load = async append => {
    error.textContent = "";
    if (!append) { cursor = null; shown = 0; tbody.replaceChildren(); }
    try {
      const q = new URLSearchParams({ limit: "100" });
      if (dueOnly.checked) q.set("due", "true");
      if (cursor) q.set("cursor", cursor);
      const page = await get(base + "?" + q);
      for (const r of page.reminders) tbody.append(row(r));
      shown += page.reminders.length;
      cursor = page.next;
      more.hidden = !cursor;
      count.textContent = shown ? shown + " reminder(s)" + (cursor ? " so far" : "") : (dueOnly.checked ? "Nothing is due." : "No reminders yet.");
    } catch (e) { error.textContent = errorText(e); }
  };

  const complete = async (r, button) => {
    button.disabled = true;
    try {
      const next = await post(base + "/" + encodeURIComponent(r.id) + "/complete");
      notice(next && next.nextReminderDate ? "Done. Next reminder " + when(next.nextReminderDate) + "." : "Done.");
      await load(false);
    } catch (e) {
      error.textContent = errorText(e);
      button.disabled = false;
    }
  };

  const row = r => {
    const secretLabel = r.secretName + " in " + r.environmentName + (r.isPersonal ? " (my override)" : "");
    const button = writer ? h("button", { type: "button", class: "secondary small" }, "Complete",
      h("span", { class: "visually-hidden" }, " " + secretLabel)) : null;
    if (button) button.addEventListener("click", () => complete(r, button));
    return h("tr", { class: r.due ? "due" : null },
      h("td", {}, when(r.nextReminderDate), h("div", { class: "muted" }, relative(r.nextReminderDate))),
      h("td", {}, r.due ? h("span", { class: "badge" }, "due") : "upcoming"),
      h("th", { scope: "row" }, h("a", { href: "/w/" + encodeURIComponent(ws) + "/p/" + encodeURIComponent(r.projectSlug) }, h("code", {}, r.secretName)),
        r.isPersonal ? h("span", { class: "badge" }, "personal") : null),
      h("td", {}, r.projectName),
      h("td", {}, r.environmentName),
      h("td", {}, describe(r)),
      h("td", { class: "row-actions" }, button));
  };

  more.addEventListener("click", () => load(true));
  dueOnly.addEventListener("change", () => load(false));
  mount(main,
    h("div", { class: "page-head" }, h("h1", {}, "Reminders")),
    h("p", { class: "hint" }, "Reminders on the values you may see, soonest first. Set one from a value's dialog on its project page."),
    h("label", { class: "check" }, dueOnly, " Due only"),
    error, count,
    h("div", { class: "table-wrap" }, h("table", { class: "reminders" },
      h("thead", {}, h("tr", {}, ["When", "Status", "Secret", "Project", "Environment", "Repeats", ""].map(t => h("th", { scope: "col" }, t)))), tbody)),
    more);
  await load(false);
}

function describe(r) {
  return r.type === "recurring" ? "every " + r.intervalDays + " day(s)" : "once";
}

/** An ISO time as a datetime-local input's value, in the browser's time zone. */
function localInput(iso) {
  const d = new Date(iso);
  const pad = n => String(n).padStart(2, "0");
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
}

/**
 * The reminder controls for one existing value (`value` from the Secret: {environmentId, isPersonal, reminder?}).
 * `element` goes into the dialog; `apply(values)` adds the reminder's change to the dialog's `values` entries (its
 * own entry when the value is unchanged: the API takes a reminder without the value), or nothing when unchanged.
 */
export function reminderEditor(value, { writer, label }) {
  const current = value.reminder || null;
  if (!writer) {
    return { element: current ? h("p", { class: "hint" }, label + ": " + when(current.nextReminderDate) + ", " + describe(current)) : null, apply: () => {} };
  }
  const id = uid("rem");
  const type = h("select", { name: id + "-type" },
    h("option", { value: "" }, "No reminder"), h("option", { value: "one_time" }, "Once"), h("option", { value: "recurring" }, "Repeating"));
  const date = h("input", { type: "datetime-local", name: id + "-date" });
  const interval = h("input", { type: "number", name: id + "-interval", min: "1", max: "3650", step: "1", value: "90" });
  type.value = current ? current.type : "";
  if (current) date.value = localInput(current.nextReminderDate);
  if (current && current.intervalDays) interval.value = String(current.intervalDays);
  const dateField = field("Remind me on", date);
  const intervalField = field("Repeat every (days)", interval);
  const sync = () => {
    dateField.hidden = !type.value;
    intervalField.hidden = type.value !== "recurring";
    date.required = !!type.value;
    interval.required = type.value === "recurring";
  };
  type.addEventListener("change", sync);
  sync();
  const element = h("fieldset", { class: "reminder" }, h("legend", {}, label), field("Reminder", type), dateField, intervalField);

  const wanted = () => {
    if (!type.value) return current ? null : undefined;
    const next = { type: type.value, nextReminderDate: new Date(date.value).toISOString() };
    if (type.value === "recurring") next.intervalDays = Number(interval.value);
    if (current && current.type === next.type && new Date(current.nextReminderDate).getTime() === new Date(next.nextReminderDate).getTime()
      && (current.intervalDays || null) === (next.intervalDays || null)) return undefined;
    // the input has minutes only: an unchanged minute keeps the stored time
    if (current && date.value === localInput(current.nextReminderDate) && current.type === next.type
      && (current.intervalDays || null) === (next.intervalDays || null)) return undefined;
    return next;
  };
  const apply = values => {
    const change = wanted();
    if (change === undefined) return;
    let entry = values.find(v => v.environmentId === value.environmentId && v.isPersonal === value.isPersonal);
    if (entry && entry.value === "") return; // the value is being removed, and its reminder with it
    if (!entry) values.push(entry = { environmentId: value.environmentId, isPersonal: value.isPersonal });
    entry.reminder = change;
  };
  return { element, apply };
}
