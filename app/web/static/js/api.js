// Calls to facegate from the pages: the session cookie goes by itself, changes carry the CSRF token.

export class ApiFailure extends Error {
  constructor(status, reason, message, detail) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.detail = detail || {};
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)fg_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function api(path, { method = "GET", json, form } = {}) {
  const headers = {};
  let body;
  if (json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  if (method !== "GET") headers["x-csrf-token"] = csrfToken();
  let response;
  try {
    response = await fetch(path, { method, headers, body, credentials: "same-origin" });
  } catch (error) {
    throw new ApiFailure(0, "offline", "facegate cannot be reached");
  }
  if (response.status === 204) return null;
  const isJson = (response.headers.get("content-type") || "").includes("json");
  const data = isJson ? await response.json() : null;
  if (!response.ok) {
    const detail = data && typeof data.detail === "object" ? data.detail : {};
    throw new ApiFailure(response.status, detail.reason || `http_${response.status}`,
      detail.message || response.statusText, detail);
  }
  return data;
}

export const signIn = (key) => api("/web/session", { method: "POST", json: { key } });
export const whoAmI = () => api("/web/session");
export const signOut = () => api("/web/session", { method: "DELETE" });
