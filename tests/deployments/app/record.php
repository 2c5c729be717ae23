<?php
// Records that the request reached PHP: "METHOD ID" in the file named by CORS_TEST_STATE.
$state = $_SERVER['CORS_TEST_STATE'] ?? (sys_get_temp_dir() . '/mod_cors_reached.log');
$id = $_GET['id'] ?? '-';
file_put_contents($state, $_SERVER['REQUEST_METHOD'] . ' ' . $id . "\n", FILE_APPEND | LOCK_EX);
header('Content-Type: text/plain');
echo "recorded $id\n";
