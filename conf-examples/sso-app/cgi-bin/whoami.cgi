#!/usr/bin/perl
# conf-examples/sso-app/cgi-bin/whoami.cgi: a CGI program behind
# conf-examples/sso-php-cgi.conf. mod_auth_jwt has checked the token; the
# program reads the user and roles from the environment (REMOTE_USER,
# JWT_CLAIM_roles) and needs no JWT code.
use strict;
use warnings;

sub esc {
    my $s = defined $_[0] ? $_[0] : '';
    $s =~ s/([&<>"'])/'&#' . ord($1) . ';'/ge;
    return $s;
}

my $user   = $ENV{REMOTE_USER};
my $roles  = defined $ENV{JWT_CLAIM_roles} ? $ENV{JWT_CLAIM_roles} : '';
my $method = $ENV{REQUEST_METHOD} || 'GET';
print "Content-Type: text/html; charset=utf-8\r\n",
      "Cache-Control: no-store\r\n\r\n";
print <<"HTML";
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>SSO example (CGI)</title></head>
<body>
<h1>CGI: <span id="user">@{[ esc($user) ]}</span></h1>
<p>Roles: <span id="roles">@{[ esc($roles) ]}</span></p>
<p>Auth type: <span id="auth-type">@{[ esc($ENV{AUTH_TYPE}) ]}</span>,
   method: <span id="method">@{[ esc($method) ]}</span></p>
<p><a href="/app/">The PHP application</a></p>
<form method="post" action="/auth/session/logout"><button type="submit">Sign out</button></form>
</body>
</html>
HTML
