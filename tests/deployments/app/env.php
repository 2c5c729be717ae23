<?php
// The environment mod_cors set for the application.
header('Content-Type: application/json');
$out = ['REQUEST_METHOD' => $_SERVER['REQUEST_METHOD']];
foreach (['CORS_REQUEST', 'CORS_ORIGIN', 'CORS_ALLOWED', 'CORS_REASON'] as $name) {
    $out[$name] = $_SERVER[$name] ?? null;
}
echo json_encode($out);
