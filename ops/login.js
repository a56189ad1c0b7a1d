// The login page: POST /api/login, then back to the console (the session cookie is HttpOnly;
// the CSRF token is fetched again by the console from /api/session).
"use strict";
document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  const password = document.getElementById("password").value;
  try {
    const response = await fetch("/api/login", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({password}),
    });
    if (response.ok) { window.location.assign("/"); return; }
    const body = await response.json().catch(() => ({}));
    error.textContent = body.error || ("login failed: HTTP " + response.status);
  } catch (e) {
    error.textContent = "ops did not answer: " + e;
  }
});
