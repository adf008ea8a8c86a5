// Light, dark, or as the system says: a preference kept on the server (GET/PUT /v1/me/preferences).
export function applyTheme(theme) {
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}
