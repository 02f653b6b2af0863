# SPDX-License-Identifier: Apache-2.0
# Certificate-bound tokens (RFC 8705, AuthJWTMTLS): a private httpd with
# mod_ssl asking for client certificates of a test CA made here with the
# openssl command; tokens carry cnf.x5t#S256, the SHA-256 of a client
# certificate's DER (computed here from `openssl x509 -outform DER`, not by
# the module). The matching, another and no certificate; a token without
# cnf where AuthJWTMTLS is Optional and Required; and AuthJWTClientCertHeader
# from a trusted and from an untrusted address (the second never reaching
# the CGI behind it).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT tok);
use AuthJWT::Instance qw(jwt_location spew);
use Digest::SHA qw(sha256);
use HTTP::Request;
use LWP::UserAgent;
use URI::Escape qw(uri_escape);

my $h = AuthJWT::Instance->new(mpm => 'prefork', children => 2);
my $d = $h->dir;
my $mods = AuthJWT::Instance::modules_dir();

# ------------------------------------------------- a CA and certificates
sub run_ok {
    my $cmd = shift;
    my $out = `$cmd 2>&1`;
    die "failed: $cmd\n$out" if $?;
    return $out;
}
mkdir "$d/pki";
my $pki = "$d/pki";
run_ok("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
       . "-nodes -keyout $pki/ca.key -out $pki/ca.pem -days 2 "
       . "-subj '/CN=ajwt test CA'");
# cert NAME [CN]: a key and a certificate of the CA (self => 1: self-signed)
sub cert {
    my ($name, %o) = @_;
    run_ok("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
           . "-keyout $pki/$name.key -out $pki/$name.csr -subj '/CN=$name'");
    my $ext = "$pki/$name.ext";
    spew($ext, $o{server} ? "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                          : "extendedKeyUsage=clientAuth\n");
    run_ok("openssl x509 -req -in $pki/$name.csr -CA $pki/ca.pem -CAkey "
           . "$pki/ca.key -CAcreateserial -days 2 -extfile $ext "
           . "-out $pki/$name.pem");
    chmod 0644, "$pki/$name.key";
    my $der = run_ok("openssl x509 -in $pki/$name.pem -outform DER");
    return b64u(sha256($der));
}
my $x5t_server = cert('server', server => 1);
my $x5t_a = cert('alice');
my $x5t_b = cert('bob');

my $pem_a = do { local (@ARGV, $/) = "$pki/alice.pem"; <> };

# ------------------------------------------------------------ the server
mkdir "$d/cgi";
{
    local (@ARGV, $/) = "$FindBin::Bin/htdocs/env.cgi";
    spew("$d/cgi/env.cgi", <>, 0755);
}
chmod 0755, "$d/cgi", $pki;
my $ssl_port = AuthJWT::Instance::free_port();
my $cgi = sub {
    my ($path, @lines) = @_;
    return jwt_location($path, 'Require valid-jwt', 'Options +ExecCGI',
                        'SetHandler cgi-script', @lines);
};
$h->{conf} = <<"EOC"
LoadModule ssl_module $mods/mod_ssl.so
LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so
LoadModule cgi_module $mods/mod_cgi.so
LoadModule alias_module $mods/mod_alias.so
AliasMatch "^/c/[^/]+/(.*)\$" "$d/cgi/\$1"
<Directory "$d/cgi">
    Options +ExecCGI
</Directory>
SSLSessionCache "shmcb:$d/run/ssl_scache(512000)"
Listen 127.0.0.1:$ssl_port
<VirtualHost 127.0.0.1:$ssl_port>
    SSLEngine on
    SSLCertificateFile "$pki/server.pem"
    SSLCertificateKeyFile "$pki/server.key"
    SSLCACertificateFile "$pki/ca.pem"
    SSLVerifyClient optional
    SSLVerifyDepth 1
@{[ $cgi->('/c/opt') ]}
@{[ $cgi->('/c/req', 'AuthJWTMTLS Required') ]}
</VirtualHost>
# the plain port: behind a TLS-terminating proxy (127.0.0.1) or not
@{[ $cgi->('/c/hdr', 'AuthJWTClientCertHeader X-Client-Cert',
           'AuthJWTTrustedProxy 127.0.0.1/32') ]}
@{[ $cgi->('/c/hdr-req', 'AuthJWTClientCertHeader X-Client-Cert',
           'AuthJWTTrustedProxy 127.0.0.1/32', 'AuthJWTMTLS Required') ]}
@{[ $cgi->('/c/far', 'AuthJWTClientCertHeader X-Client-Cert',
           'AuthJWTTrustedProxy 10.0.0.0/8 192.0.2.1') ]}
<Location /c/open>
    SetHandler cgi-script
    AuthJWTClientCertHeader X-Client-Cert
    AuthJWTTrustedProxy 10.0.0.0/8
</Location>
EOC
;
$h->start;

# An HTTPS user agent presenting certificate NAME (undef: none).
my %ua;
sub tls {
    my ($path, $token, $cert) = @_;
    my $ua = $ua{$cert // ''} ||= LWP::UserAgent->new(
        keep_alive => 0, timeout => 10, max_redirect => 0,
        ssl_opts => { verify_hostname => 0, SSL_ca_file => "$pki/ca.pem",
                      ($cert ? (SSL_cert_file => "$pki/$cert.pem",
                                SSL_key_file => "$pki/$cert.key") : ()) });
    my $req = HTTP::Request->new(GET => "https://127.0.0.1:$ssl_port$path");
    $req->header(Authorization => "Bearer $token") if defined $token;
    return $ua->request($req);
}

my $bound_a = tok('cnf' => { 'x5t#S256' => $x5t_a }, sub => 'alice');
my $bound_b = tok('cnf' => { 'x5t#S256' => $x5t_b }, sub => 'bob');
my $plain = tok(sub => 'carol');

sub refused {
    my ($name, $r, $mark, $why) = @_;
    subtest $name => sub {
        is($r->code, 401, 'status 401');
        like(scalar $r->header('WWW-Authenticate') // '',
             qr/error="invalid_token"/, 'invalid_token');
        my $log = $h->log_since($mark);
        like($log, qr/AH70123: token refused \(.*\): .*$why/,
             "logged: $why");
        unlike($r->content, qr/x5t|cnf|certificate/i,
               'the reason is not in the answer');
    };
}

# ------------------------------------------------------------ mod_ssl
{
    my $r = tls('/c/opt/env.cgi', $bound_a, 'alice');
    is($r->code, 200, 'bound token with its certificate: 200')
        or diag($r->content, $h->log_since(0));
    like($r->content, qr/^REMOTE_USER=alice$/m, '... REMOTE_USER alice');
}
{
    my $m = $h->log_mark;
    refused('bound token with another certificate of the same CA',
            tls('/c/opt/env.cgi', $bound_a, 'bob'), $m,
            'is not the token.s cnf.x5t#S256');
}
{
    my $m = $h->log_mark;
    refused('bound token without a certificate',
            tls('/c/opt/env.cgi', $bound_a, undef), $m,
            'without a client certificate');
}
is(tls('/c/opt/env.cgi', $bound_b, 'bob')->code, 200,
   "bob's token with bob's certificate: 200");
{
    my $r = tls('/c/opt/env.cgi', $plain, 'alice');
    is($r->code, 200, 'token without cnf, AuthJWTMTLS Optional: 200');
    like($r->content, qr/^REMOTE_USER=carol$/m, '... as carol');
}
is(tls('/c/opt/env.cgi', $plain, undef)->code, 200,
   '... and without a certificate: 200');
{
    my $m = $h->log_mark;
    refused('token without cnf, AuthJWTMTLS Required',
            tls('/c/req/env.cgi', $plain, 'alice'), $m,
            'AuthJWTMTLS Required');
}
is(tls('/c/req/env.cgi', $bound_a, 'alice')->code, 200,
   'bound token at AuthJWTMTLS Required: 200');
{
    my $m = $h->log_mark;
    my $bad = tok('cnf' => { 'x5t#S256' => substr($x5t_a, 0, 42) });
    my $r = tls('/c/opt/env.cgi', $bad, 'alice');
    is($r->code, 401, 'malformed cnf.x5t#S256: 401');
    like($h->log_since($m), qr/AH70009: .*cnf\.x5t#S256 is not a base64url/,
         '... logged as a bad claim');
}
{
    my $m = $h->log_mark;
    my $r = tls('/c/opt/env.cgi', $x5t_server && tok('cnf' =>
                { 'x5t#S256' => $x5t_server }), 'alice');
    is($r->code, 401, "a token bound to the server's certificate, sent with "
       . "alice's: 401");
}

# ------------------------------------------------ AuthJWTClientCertHeader
my $hdr_nginx = uri_escape($pem_a);                      # everything escaped
my $hdr_alb = uri_escape($pem_a, "^A-Za-z0-9\\-._~+/="); # AWS ALB style
sub via {
    my ($path, $token, %o) = @_;
    return $h->get($path, token => $token, from => $o{from},
                   headers => $o{headers} || []);
}
{
    my $r = via('/c/hdr/env.cgi', $bound_a,
                headers => [['X-Client-Cert' => $hdr_nginx]]);
    is($r->code, 200, 'certificate header from the trusted proxy: 200')
        or diag($r->content, $h->log_since(0));
    like($r->content, qr/^REMOTE_USER=alice$/m, '... REMOTE_USER alice');
    like($r->content, qr/^HTTP_X_CLIENT_CERT=-----BEGIN/m,
         '... the header reaches the application');
}
is(via('/c/hdr/env.cgi', $bound_a,
       headers => [['X-Client-Cert' => $hdr_alb]])->code, 200,
   "... with '+', '/' and '=' left as they are (AWS ALB): 200");
{
    my $m = $h->log_mark;
    refused('trusted proxy, no header', via('/c/hdr/env.cgi', $bound_a), $m,
            'without a client certificate');
}
{
    my $m = $h->log_mark;
    refused("trusted proxy, bob's certificate for alice's token",
            via('/c/hdr/env.cgi', $bound_a, headers =>
                [['X-Client-Cert' => uri_escape(do {
                    local (@ARGV, $/) = "$pki/bob.pem"; <> })]]), $m,
            'is not the token.s cnf');
}
{
    my $m = $h->log_mark;
    refused('trusted proxy, a header that is no certificate',
            via('/c/hdr/env.cgi', $bound_a, headers =>
                [['X-Client-Cert' => 'not%20a%20certificate']]), $m,
            'not a readable PEM certificate');
}
{
    my $m = $h->log_mark;
    refused('trusted proxy, the header twice',
            via('/c/hdr/env.cgi', $bound_a, headers =>
                [['X-Client-Cert' => [$hdr_nginx, $hdr_nginx]]]), $m,
            'X-Client-Cert from the trusted proxy holds more than one');
}
{
    my $m = $h->log_mark;
    my $r = via('/c/hdr/env.cgi', $bound_a, from => 2,
                headers => [['X-Client-Cert' => $hdr_nginx]]);
    refused('the same header from 127.0.0.2 (not trusted)', $r, $m,
            'without a client certificate');
    like($h->log_since($m), qr/AH70100: client header X-Client-Cert removed: (?#
         )the connection is not from an AuthJWTTrustedProxy/,
         '... the header was removed (logged)');
}
{
    my $m = $h->log_mark;
    refused('the header where the trusted range excludes 127.0.0.1',
            via('/c/far/env.cgi', $bound_a,
                headers => [['X-Client-Cert' => $hdr_nginx]]), $m,
            'without a client certificate');
}
{
    my $r = via('/c/far/env.cgi', $plain,
                headers => [['X-Client-Cert' => $hdr_nginx],
                            ['X-Other' => 'kept']]);
    is($r->code, 200, 'untrusted header with an unbound token: 200');
    unlike($r->content, qr/CLIENT_CERT/,
           '... the forged header does not reach the CGI');
    like($r->content, qr/^HTTP_X_OTHER=kept$/m, '... other headers do');
}
{
    my $r = via('/c/open/env.cgi', undef,
                headers => [['X-Client-Cert' => $hdr_nginx]]);
    is($r->code, 200, 'a location without AuthType jwt: 200');
    unlike($r->content, qr/CLIENT_CERT/,
           '... the forged header is removed there too');
}
{
    my $r = via('/c/hdr/env.cgi', $bound_a,
                headers => [['X-Client-Cert' => $hdr_nginx],
                            [':X_Client_Cert' => 'forged']]);
    is($r->code, 200, "trusted proxy, plus a '_' spelling of the header");
    unlike($r->content, qr/forged/, "... the '_' spelling is removed");
}
{
    my $m = $h->log_mark;
    refused('AuthJWTMTLS Required behind the proxy, unbound token',
            via('/c/hdr-req/env.cgi', $plain,
                headers => [['X-Client-Cert' => $hdr_nginx]]), $m,
            'AuthJWTMTLS Required');
}
is(via('/c/hdr-req/env.cgi', $bound_a,
       headers => [['X-Client-Cert' => $hdr_nginx]])->code, 200,
   '... a bound token with its certificate: 200');

unlike($h->log_since(0), qr/exit signal|Segmentation/,
       'no child died along the way');
$h->stop;
done_testing;
