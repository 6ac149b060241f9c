// Starts Swagger UI on a /docs/<function>/ page. A file of its own, not an inline
// script: the pages' Content-Security-Policy allows scripts from 'self' only.
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  const documentUrl = new URL(root.dataset.document, window.location.href).href;
  // The paths of a function's document are relative to the function (/<name>/), so
  // without a `servers` entry "Try it out" would call the host's root instead.
  const serverUrl = new URL(root.dataset.server, window.location.href).href.replace(/\/$/, "");

  function withServer(text) {
    let spec;
    try {
      spec = JSON.parse(text);
    } catch {
      return text; // not JSON: let Swagger UI report it
    }
    if (spec === null || typeof spec !== "object" || spec.servers) {
      return text;
    }
    spec.servers = [{ url: serverUrl, description: "This functions host" }];
    return JSON.stringify(spec);
  }

  function FunctionServer() {
    return {
      statePlugins: {
        spec: {
          wrapActions: {
            updateSpec: (updateSpec) => (text) =>
              updateSpec(typeof text === "string" ? withServer(text) : text),
          },
        },
      },
    };
  }

  window.ui = SwaggerUIBundle({
    url: documentUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [FunctionServer],
    deepLinking: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    // No badge from validator.swagger.io: nothing is loaded from another origin.
    validatorUrl: null,
  });
})();
