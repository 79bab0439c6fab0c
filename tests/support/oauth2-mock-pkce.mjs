// npm's oauth2-mock-server, started through its library so that it demands
// PKCE as a strict authorization server would: oauth2-mock-server checks a
// code_verifier only when one is sent, so here a token request for an
// authorization code without one is refused (400 invalid_request).
// Usage: node oauth2-mock-pkce.mjs  (prints "listening on http://127.0.0.1:PORT")
import { OAuth2Server } from "oauth2-mock-server";

const server = new OAuth2Server();
await server.issuer.keys.generate("RS256");
server.service.on("beforeResponse", (response, req) => {
  const body = req.body ?? {};
  if (body.grant_type === "authorization_code" && !body.code_verifier) {
    response.statusCode = 400;
    response.body = { error: "invalid_request", error_description: "code_verifier required (PKCE)" };
  }
});
await server.start(0, "127.0.0.1");
const { port } = server.address();
console.log(`listening on http://127.0.0.1:${port}`);
