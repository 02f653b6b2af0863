<?php
// conf-examples/sso-app/php/admin/index.php: only users with the role "admin"
// get here (Require jwt-role admin); others get 403 from Apache before
// PHP runs. Checking the role again here is defence in depth.
$h = fn($s) => htmlspecialchars((string)$s, ENT_QUOTES | ENT_HTML5, 'UTF-8');
$roles = explode(',', $_SERVER['JWT_CLAIM_roles'] ?? '');
if (!in_array('admin', $roles, true)) {
    http_response_code(403);
    exit;
}
header('Cache-Control: no-store');
?>
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>SSO example: admin</title></head>
<body>
<h1>Admin area</h1>
<p>Signed in as <span id="user"><?= $h($_SERVER['REMOTE_USER'] ?? '') ?></span>,
   roles <span id="roles"><?= $h($_SERVER['JWT_CLAIM_roles'] ?? '') ?></span>.</p>
<p><a href="/app/">Back</a></p>
<form method="post" action="/auth/session/logout"><button type="submit">Sign out</button></form>
</body>
</html>
