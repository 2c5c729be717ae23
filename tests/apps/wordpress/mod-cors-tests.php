<?php
/*
 * Plugin Name: mod_cors tests (must-use)
 * Description: Writes one line per request that reaches WordPress (the side effect that shows a
 *   refused request never ran), and adds a REST route that ends in a PHP fatal error.
 */
if (defined('MOD_CORS_REACHED_LOG')) {
    file_put_contents(MOD_CORS_REACHED_LOG, sprintf("%s %s %s\n", $_SERVER['REQUEST_METHOD'] ?? 'CLI',
        $_SERVER['REQUEST_URI'] ?? '-', $_SERVER['HTTP_ORIGIN'] ?? '-'), FILE_APPEND | LOCK_EX);
}
add_filter('pre_wp_mail', '__return_false');  // no mail server here (recovery mode, new users)
add_action('rest_api_init', function () {
    register_rest_route('modcors/v1', '/fatal', [
        'methods' => 'GET',
        'permission_callback' => '__return_true',
        'callback' => function () { return mod_cors_tests_undefined_function(); },
    ]);
});
