<?php
// A small legacy JSON API.
header('Content-Type: application/json');
header('X-Total-Count: 2');
header('X-Request-Id: it-' . getmypid());
echo json_encode([
    'method' => $_SERVER['REQUEST_METHOD'],
    'items' => [['id' => 1, 'name' => 'first'], ['id' => 2, 'name' => 'second']],
]);
