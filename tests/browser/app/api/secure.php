<?php
// A protected endpoint: needs "Authorization: Bearer partner-token".
require __DIR__ . '/_lib.php';
record_hit();
$auth = request_header('Authorization') ?? '';
if ($auth !== 'Bearer partner-token') {
    reply(401, ['error' => 'authentication required'], ['WWW-Authenticate: Bearer realm="api"']);
    return;
}
reply(200, ['user' => 'partner', 'method' => $_SERVER['REQUEST_METHOD']]);
