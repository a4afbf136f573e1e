// Enhance the pages with the design system's JavaScript; every page works without it.
//
// Loaded as a module (`<script type="module">`), so browsers too old for the design system's JavaScript
// never run it and keep the plain pages. No inline script: the pages can be served with
// `Content-Security-Policy: script-src 'self'`.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
