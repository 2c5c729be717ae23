<?php
// An endpoint that answers CORS itself, as many legacy PHP apps do: the caller's origin echoed
// and a bare `Access-Control-Allow-Headers: *` on the preflight (with `?creds=1` also
// `Access-Control-Allow-Credentials: true`). The suite serves it under /app-star/, where mod_cors
// is off (CORSEngine Off), so that the browser reads exactly this answer: it shows what each
// engine does with a wildcard that mod_cors itself never sends for Authorization.
require __DIR__ . '/_lib.php';
record_hit();
header('Access-Control-Allow-Origin: ' . ($_SERVER['HTTP_ORIGIN'] ?? '*'));
header('Vary: Origin');
if (isset($_GET['creds'])) header('Access-Control-Allow-Credentials: true');
if ($_SERVER['REQUEST_METHOD'] === 'OPTIONS') {
    header('Access-Control-Allow-Methods: GET, POST, PUT');
    header('Access-Control-Allow-Headers: *');
    header('Access-Control-Max-Age: 0');
    http_response_code(204);
    return;
}
reply(200, [
    'method' => $_SERVER['REQUEST_METHOD'],
    'authorization' => request_header('Authorization'),
    'custom_header' => $_SERVER['HTTP_X_CUSTOM_HEADER'] ?? null,
]);
