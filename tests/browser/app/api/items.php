<?php
// The legacy JSON API. It knows GET, POST, PUT and DELETE; anything else (OPTIONS included:
// it was written before anyone had heard of preflights) gets 405.
require __DIR__ . '/_lib.php';
record_hit();
header('X-Total-Count: 2');
header('X-Request-Id: req-' . bin2hex(random_bytes(4)));
$method = $_SERVER['REQUEST_METHOD'];
$items = [['id' => 1, 'name' => 'first'], ['id' => 2, 'name' => 'second']];
if (isset($_GET['fail'])) {
    reply(500, ['error' => 'database unavailable', 'retry_after' => 30]);
    return;
}
switch ($method) {
    case 'GET':
    case 'HEAD':
        reply(200, ['items' => $items, 'cookie' => $_COOKIE['session'] ?? null]);
        break;
    case 'POST':
    case 'PUT':
    case 'DELETE':
        $raw = file_get_contents('php://input');
        reply(200, [
            'method' => $method,
            'received' => $raw === '' ? null : json_decode($raw, true),
            'custom_header' => $_SERVER['HTTP_X_CUSTOM_HEADER'] ?? null,
            'cookie' => $_COOKIE['session'] ?? null,
        ]);
        break;
    default:
        reply(405, ['error' => "method $method not supported"], ['Allow: GET, HEAD, POST, PUT, DELETE']);
}
