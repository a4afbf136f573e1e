// The API's documentation page (/api/docs): Swagger UI, from the pinned swagger-ui-dist package, reading the
// app's own OpenAPI document. A file, not an inline script, so the page keeps the strict CSP.
window.addEventListener("DOMContentLoaded", () => {
  const holder = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: holder.dataset.openapi,
    domNode: holder,
    deepLinking: false, // a link inside each operation's toggle button would nest one control in another
    tryItOutEnabled: false,
  });
});
