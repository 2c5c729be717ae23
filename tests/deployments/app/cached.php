<?php
// A PHP answer a shared cache may store: Cache-Control: public. Records "METHOD ID" when it runs,
// so that a hit (served by the cache) is seen not to reach PHP.
$state = $_SERVER['CORS_TEST_STATE'] ?? (sys_get_temp_dir() . '/mod_cors_reached.log');
$id = $_GET['id'] ?? '-';
file_put_contents($state, $_SERVER['REQUEST_METHOD'] . ' ' . $id . "\n", FILE_APPEND | LOCK_EX);
header('Cache-Control: public, max-age=300');
header('Content-Type: application/json');
echo json_encode(['id' => $id, 'served' => uniqid('', true)]);
