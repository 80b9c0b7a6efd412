// Swagger UI on the local schema; "Authorize" takes an API key (the schema declares the Bearer scheme).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false, // never keep a key in browser storage
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
