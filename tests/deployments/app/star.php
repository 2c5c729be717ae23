<?php
// An application that answers CORS itself, as many legacy PHP apps do.
header('Access-Control-Allow-Origin: *');
header('Access-Control-Allow-Methods: GET, POST, PUT');
header('Content-Type: application/json');
echo json_encode(['star' => true]);
