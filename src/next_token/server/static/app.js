// The served page's entry: the front end shared with the folder `ntp export web` writes
// (web/static/app.js, served at /web), asking this server's JSON API.
import { startPage, httpBackend } from "/web/app.js";

startPage(httpBackend());
