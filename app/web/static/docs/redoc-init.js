// ReDoc on the local schema (no fonts or scripts from elsewhere).
Redoc.init("/openapi.json", { hideDownloadButton: false, disableSearch: false }, document.getElementById("redoc"));
