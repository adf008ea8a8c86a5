// The device-approval page: sign in if needed, then approve or deny the code the terminal shows.
// The session lives in an HttpOnly cookie; changes carry the CSRF token the sign-in answered with.
(function () {
  const status = document.getElementById("status");
  const signIn = document.getElementById("sign-in");
  const approve = document.getElementById("approve");
  const code = new URLSearchParams(location.search).get("user_code") || "";
  approve.userCode.value = code;
  let csrf = "";

  function show(me) {
    csrf = me.csrfToken || csrf;
    document.getElementById("who").textContent = me.email;
    signIn.hidden = true;
    approve.hidden = false;
  }

  fetch("/v1/me", { credentials: "same-origin" }).then(r => r.ok ? r.json().then(show) : offerSignIn());

  // a person whose company signs in through its identity provider comes back here, signed in, by the SSO link
  function offerSignIn() {
    signIn.hidden = false;
    fetch("/v1/auth/options").then(r => r.ok ? r.json() : null).then(options => {
      if (!options || !options.sso || !options.sso.enabled) return;
      const link = document.getElementById("sso");
      link.href = "/v1/auth/sso/start?return=" + encodeURIComponent("/device?user_code=" + encodeURIComponent(code));
      link.textContent = "Sign in with " + (options.sso.label || "single sign-on");
      link.hidden = false;
    }, () => {});
  }

  signIn.addEventListener("submit", async e => {
    e.preventDefault();
    const r = await fetch("/v1/auth/login", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: signIn.email.value, password: signIn.password.value })
    });
    if (!r.ok) { status.textContent = "Wrong email or password."; return; }
    const me = await r.json();
    status.textContent = "";
    show(me);
  });

  approve.addEventListener("submit", async e => {
    e.preventDefault();
    const action = e.submitter ? e.submitter.value : "approve";
    const r = await fetch("/v1/auth/device/approve", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ userCode: approve.userCode.value, action: action })
    });
    status.textContent = r.ok ? (action === "approve" ? "Approved: go back to your terminal." : "Denied.")
      : r.status === 403 ? "Sign in again, then retry." : r.status === 429 ? "Too many wrong codes: wait a minute."
      : "That code is not waiting for approval (it may have expired).";
  });
})();
