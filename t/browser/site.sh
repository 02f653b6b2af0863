# SPDX-License-Identifier: Apache-2.0
# t/browser/site.sh: sourced by t/browser/run. The site under test is the
# single sign-on example itself, conf-examples/sso-php-cgi.conf with
# conf-examples/login.html and conf-examples/sso-app/, installed into the
# state directory $S: its paths pointed at $S, php-fpm reached over TCP,
# the access token's lifetime cut to AJWT_ACCESS_TTL with AJWT_LEEWAY.
# Adds, for the test only: a page with a form that posts to the
# application (post.php, inside the example's PHP directory) and, on
# another origin of the same host (port XPORT), a page with forged forms.
# Uses S, EX, MODDIR, FPORT, XPORT, BASE, AJWT_ACCESS_TTL, AJWT_LEEWAY.
# Sets APP_PATH, ADMIN_PATH, LOGIN_PATH, CGI_PATH, POST_PATH,
# REFRESH_PATH, LOGOUT_PATH, and the roles file $S/roles.

for f in sso-php-cgi.conf login.html sso-app/php/index.php \
         sso-app/php/admin/index.php sso-app/cgi-bin/whoami.cgi; do
    [ -f "$EX/$f" ] || { echo "# conf-examples/$f missing"; return 1; }
done

APP_PATH=/app/
ADMIN_PATH=/app/admin/
LOGIN_PATH=/login.html
CGI_PATH=/cgi/whoami.cgi
POST_PATH=/app/post.php
REFRESH_PATH=/auth/session
LOGOUT_PATH=/auth/session/logout

mkdir -p "$S/sso"
cp -r "$EX/sso-app/." "$S/sso/"
cp "$EX/login.html" "$S/sso/login.html"

# The example's role file, as its comment shows it.
cat >"$S/roles" <<'ROLES'
admin: alice
staff: alice bob
ROLES

# Its paths, here; its lifetime, short; php-fpm on TCP.
SSO_S=$S SSO_FPORT=$FPORT SSO_MODDIR=$MODDIR SSO_TTL=$AJWT_ACCESS_TTL \
SSO_LEEWAY=$AJWT_LEEWAY perl -pe '
    BEGIN { $n = 0 }
    s{/var/www/sso}{$ENV{SSO_S}/sso}g;
    s{/etc/apache2/jwt/sso-es256-private\.pem}{$ENV{SSO_S}/keys/sign.pem}g;
    s{/etc/apache2/jwt/sso-users\.htpasswd}{$ENV{SSO_S}/users.htpasswd}g;
    s{/etc/apache2/jwt/sso\.roles}{$ENV{SSO_S}/roles}g;
    s{/usr/lib/apache2/modules}{$ENV{SSO_MODDIR}}g;
    s{"proxy:unix:[^"]*"}{"proxy:fcgi://127.0.0.1:$ENV{SSO_FPORT}"}g
        and $n++;
    s{^(\s*)AuthJWTAccessTTL\s+\d+}
     {$1AuthJWTAccessTTL $ENV{SSO_TTL}\n$1AuthJWTLeeway $ENV{SSO_LEEWAY}}
        and $n++;
    END { die "sso-php-cgi.conf: php-fpm handler or AuthJWTAccessTTL "
              . "not found\n" unless $n == 2 }
' "$EX/sso-php-cgi.conf" >"$S/sso.conf" || return 1

cat >"$S/site.conf" <<CONF
# conf-examples/sso-php-cgi.conf, adapted by t/browser/site.sh
Include "$S/sso.conf"

# The other origin: plain pages, no authentication.
<VirtualHost 127.0.0.1:$XPORT>
    ServerName localhost
    DocumentRoot "$S/other"
    <Directory "$S/other">
        Require all granted
    </Directory>
</VirtualHost>
CONF

# A page of the application with a form posting to itself: a same-origin
# POST that carries the cookie token.
cat >"$S/sso/php/post.php" <<'PHP'
<?php
header('Cache-Control: no-store');
$h = fn($s) => htmlspecialchars((string)$s, ENT_QUOTES, 'UTF-8');
?><!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Post</title></head>
<body>
<p>User <b id="user"><?= $h($_SERVER['REMOTE_USER'] ?? '') ?></b></p>
<?php if ($_SERVER['REQUEST_METHOD'] === 'POST'): ?>
<p>Saved: <b id="saved"><?= $h($_POST['note'] ?? '') ?></b></p>
<?php endif; ?>
<form method="post" action="/app/post.php">
  <input name="note"> <button type="submit" id="save">Save</button>
</form>
</body></html>
PHP

# Forms on the other origin aimed at the application and at sign-out.
mkdir -p "$S/other"
cat >"$S/other/csrf.html" <<HTML
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Elsewhere</title></head>
<body><h1>Another application on this host</h1>
<form method="post" action="$BASE$POST_PATH">
  <input type="hidden" name="note" value="forged">
  <button type="submit" id="forge-post">Post to the app</button>
</form>
<form method="post" action="$BASE$LOGOUT_PATH">
  <button type="submit" id="forge-logout">Sign out of the app</button>
</form>
</body></html>
HTML

chmod 755 "$S/sso/cgi-bin/whoami.cgi"
chmod -R a+rX "$S/sso" "$S/other"
