# SPDX-License-Identifier: Apache-2.0
# The jwt-revoke endpoint (SetHandler jwt-revoke) on a private httpd with
# the shm store: what it revokes (token=, jti= with exp=, sub=; form and
# JSON; idempotent), what it refuses (4xx with a JSON error, nothing
# stored: the token in question still passes afterwards), and who may
# use it (Require jwt-role admin).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT tok run_id claims_of);
use AuthJWT::Instance qw(jwt_location);
use JSON ();
use Time::HiRes qw(sleep);

my $conf = "AuthJWTRevocationStore shm\n"
    . jwt_location('/p', 'Require valid-jwt')
    . jwt_location('/revoke', 'SetHandler jwt-revoke',
                   'Require jwt-role admin')
    . jwt_location('/revoke403', 'SetHandler jwt-revoke',
                   'Require jwt-role admin', 'AuthzSendForbiddenOnFailure On');
my $h = AuthJWT::Instance->new(mpm => 'prefork', children => 2,
                               conf => $conf);
$h->start;

my $run = run_id();      # tok(): sub u-$run, jti j-$run-N
my $admin = tok(sub => "admin-$run", roles => ['admin']);
my $user  = tok(sub => "user-$run", roles => ['user']);

sub passes  { $h->get('/p', token => $_[0])->code }
sub json_of {
    my $r = shift;
    my $j = eval { JSON->new->decode($r->content) };
    return $j || {};
}

# A 4xx with a JSON error body, and the token in question still passes.
sub bad_request {
    my ($name, $status, $req, $still) = @_;
    subtest $name => sub {
        my $r = $req->();
        is($r->code, $status, "status $status");
        like(scalar $r->header('Content-Type'), qr{^application/json},
             'JSON answer');
        my $j = json_of($r);
        ok(defined $j->{error} && !exists $j->{revoked},
           'body is a JSON error') or diag($r->content);
        is(passes($_), 200, 'nothing stored: the token still passes')
            for @$still;
    };
}

is(passes($admin), 200, 'admin token passes /p');

# --- token= (verified first) ------------------------------------------
{
    my $t = tok();
    my $jti = claims_of($t)->{jti};
    is(passes($t), 200, 'token= victim passes before');
    # a forged sibling: same claims (same jti), signed with another secret
    my $claims = { sub => "u-$run", jti => $jti, iat => time,
                   exp => time + 600 };
    my $forged = sign_raw('HS256', 'hs32', { alg => 'HS256', typ => 'JWT' },
                          $claims);
    my $sibling = sign_raw('HS256', 'hs64', { alg => 'HS256', typ => 'JWT' },
                           $claims);
    is(passes($sibling), 200, 'the forged token\'s sibling passes');
    my $mark = $h->log_mark;
    bad_request('forged token= is 400, nothing stored', 400,
                sub { $h->post_form('/revoke', [token => $forged],
                                    token => $admin) },
                [$sibling, $t]);
    like($h->log_since($mark), qr/AH70029: jwt-revoke: token to revoke (?#
         )refused/, 'forged token= logged (AH70029)');

    $mark = $h->log_mark;
    my $r = $h->post_form('/revoke', [token => $t], token => $admin);
    is($r->code, 200, 'token= (form): 200');
    like(scalar $r->header('Content-Type'), qr{^application/json}, 'JSON');
    my $j = json_of($r);
    is($j->{revoked}, 'jti', 'answer: revoked jti');
    is($j->{jti}, $jti, 'answer names the jti');
    ok($j->{until} && $j->{until} >= time + 600, 'until = exp + leeway');
    $r = $h->get('/p', token => $t);
    is($r->code, 401, 'revoked token: 401');
    is(scalar $r->header('WWW-Authenticate'), www_invalid('ajwt'),
       'revoked: invalid_token challenge');
    is(passes($sibling), 401, 'the same jti, other bytes: 401 as well');
    my $log = $h->log_since($mark);
    like($log, qr/AH70030: jwt-revoke by admin-\Q$run\E: /,
         'revocation logged (AH70030) with the admin');
    like($log, qr/AH70016: token refused \(\w+\): .* \[id \S+\]$/m,
         'refusal logged (AH70016)');

    # idempotent: the same revocation again
    my $r2 = $h->post_form('/revoke', [token => $t], token => $admin);
    is($r2->code, 200, 'token= again: 200 (idempotent)');
    is_deeply(json_of($r2), $j, 'same answer');
}

# --- JSON token= -------------------------------------------------------
{
    my $t = tok();
    is(passes($t), 200, 'JSON token= victim passes before');
    my $r = $h->post_json('/revoke', { token => $t }, token => $admin);
    is($r->code, 200, 'token= (JSON): 200');
    is(json_of($r)->{revoked}, 'jti', 'JSON answer');
    is(passes($t), 401, 'revoked through JSON: 401');
}

# --- jti= with exp= ----------------------------------------------------
{
    my $exp = time + 600;
    my $t = tok(exp => $exp);
    my $jti = claims_of($t)->{jti};
    is(passes($t), 200, 'jti= victim passes before');
    my $r = $h->post_form('/revoke', [jti => $jti, exp => $exp],
                          token => $admin);
    is($r->code, 200, 'jti=&exp= (form): 200');
    my $j = json_of($r);
    is_deeply([@$j{qw(revoked jti until)}], ['jti', $jti, $exp + 30],
              'answer: jti, until exp + 30 s leeway');
    is(passes($t), 401, 'revoked by jti: 401');
    $r = $h->post_form('/revoke', [jti => $jti, exp => $exp],
                       token => $admin);
    is($r->code, 200, 'jti= again: 200 (idempotent)');

    my $t2 = tok(exp => $exp);
    $r = $h->post_json('/revoke', { jti => claims_of($t2)->{jti},
                                    exp => $exp },
                       token => $admin);
    is($r->code, 200, 'jti/exp (JSON, exp a number): 200');
    is(passes($t2), 401, 'revoked by JSON jti: 401');

    my $t3 = tok(exp => $exp);
    $r = $h->post_json('/revoke', { jti => claims_of($t3)->{jti},
                                    exp => "$exp" },
                       token => $admin);
    is($r->code, 200, 'jti/exp (JSON, exp a string): 200');
    is(passes($t3), 401, 'revoked: 401');
}

# --- sub= --------------------------------------------------------------
{
    my $sub = "carol-$run";
    my @old = (tok(sub => $sub), tok(sub => $sub, jti => undef),
               tok(sub => $sub, iat => time - 100));
    my $other = tok(sub => "dave-$run");
    is(passes($_), 200, 'sub victim passes before') for @old;
    my $r = $h->post_form('/revoke', [sub => $sub], token => $admin);
    is($r->code, 200, 'sub= (form): 200');
    my $j = json_of($r);
    is($j->{revoked}, 'sub', 'answer: revoked sub');
    is($j->{sub}, $sub, 'answer names the sub');
    ok($j->{before} && abs($j->{before} - time) <= 2, 'before = now');
    ok($j->{until} && $j->{until} > $j->{before}, 'until after before');
    is(passes($_), 401, 'token of the sub issued before: 401') for @old;
    is(passes($other), 200, 'another subject still passes');
    # minted after the revocation second: passes
    sleep 0.05 while time < $j->{before} + 1;
    my $new = tok(sub => $sub, iat => $j->{before} + 1);
    is(passes($new), 200, 'token of the sub issued the next second: 200');
    my $same = tok(sub => $sub, iat => $j->{before});
    is(passes($same), 401, 'token issued in the revocation second: 401');
    $r = $h->post_json('/revoke', { sub => $sub }, token => $admin);
    is($r->code, 200, 'sub (JSON) again: 200');
}

# --- a token without jti: only through its sub -------------------------
{
    my $sub = "erin-$run";
    my $t = tok(sub => $sub, jti => undef);
    is(passes($t), 200, 'token without jti passes');
    bad_request('token= without jti: 400, nothing stored', 400,
                sub { $h->post_form('/revoke', [token => $t],
                                    token => $admin) }, [$t]);
    my $r = $h->post_json('/revoke', { sub => $sub }, token => $admin);
    is($r->code, 200, 'its sub (JSON): 200');
    is(passes($t), 401, 'token without jti revoked through its sub');
}

# --- bad input: 4xx, JSON error, nothing stored ------------------------
{
    my $exp = time + 600;
    my $v = tok(exp => $exp);
    my $vjti = claims_of($v)->{jti};
    my $vsub = "u-$run";    # every tok() defaults to this sub
    is(passes($v), 200, 'victim passes before the bad requests');
    my $mark = $h->log_mark;
    my $form = sub {
        my @f = @_;
        sub { $h->post_form('/revoke', \@f, token => $admin) };
    };
    my $raw = sub {
        my ($type, $body) = @_;
        sub { $h->request(POST => '/revoke', type => $type, body => $body,
                          token => $admin) };
    };
    bad_request('empty body', 400, $raw->('application/x-www-form-urlencoded',
                                          ''), [$v]);
    bad_request('exp without jti', 400, $form->(exp => $exp), [$v]);
    bad_request('jti without exp', 400, $form->(jti => $vjti), [$v]);
    bad_request('jti with a bad exp', 400, $form->(jti => $vjti,
                                                   exp => 'soon'), [$v]);
    bad_request('jti with an empty value', 400,
                $form->(jti => '', exp => $exp), [$v]);
    bad_request('garbage token', 400, $form->(token => 'not.a.token'), [$v]);
    bad_request('garbage token (JSON)', 400,
                sub { $h->post_json('/revoke', { token => 'garbage' },
                                    token => $admin) }, [$v]);
    bad_request('token and sub together', 400,
                $form->(token => $v, sub => $vsub), [$v]);
    bad_request('jti and sub together', 400,
                $form->(jti => $vjti, exp => $exp, sub => $vsub), [$v]);
    bad_request('field twice', 400,
                $raw->('application/x-www-form-urlencoded',
                       "jti=$vjti&exp=$exp&jti=$vjti"), [$v]);
    bad_request('unknown field (form)', 400,
                $form->(jti => $vjti, exp => $exp, foo => 1), [$v]);
    bad_request('unknown field (JSON)', 400,
                sub { $h->post_json('/revoke', { sub => $vsub, why => 'x' },
                                    token => $admin) }, [$v]);
    bad_request('JSON sub of the wrong type', 400,
                sub { $h->post_json('/revoke', { sub => [$vsub] },
                                    token => $admin) }, [$v]);
    bad_request('JSON that is not an object', 400,
                $raw->('application/json', qq{["sub","$vsub"]}), [$v]);
    bad_request('truncated JSON', 400,
                $raw->('application/json', qq({"sub":"$vsub")), [$v]);
    bad_request('control character in sub', 400,
                $form->(sub => "$vsub\n"), [$v]);
    bad_request('huge body (> 16 KiB): 413', 413,
                $raw->('application/x-www-form-urlencoded',
                       "jti=$vjti&exp=$exp&sub=" . ('a' x 17000)), [$v]);
    bad_request('huge JSON body: 413', 413,
                $raw->('application/json', JSON->new->encode(
                       { sub => $vsub, pad => 'a' x 17000 })), [$v]);
    bad_request('wrong content type: 415', 415,
                $raw->('text/plain', "sub=$vsub"), [$v]);
    bad_request('no content type: 415', 415,
                sub { $h->request(POST => '/revoke', body => "sub=$vsub",
                                  token => $admin) }, [$v]);
    bad_request('multipart: 415', 415,
                $raw->('multipart/form-data; boundary=x',
                       "--x\r\nContent-Disposition: form-data; name=\"sub\""
                       . "\r\n\r\n$vsub\r\n--x--\r\n"), [$v]);
    subtest 'GET: 405 with Allow: POST' => sub {
        my $r = $h->get("/revoke?sub=$vsub", token => $admin);
        is($r->code, 405, 'status 405');
        is(scalar $r->header('Allow'), 'POST', 'Allow: POST');
        like(scalar $r->header('Content-Type'), qr{^application/json},
             'JSON answer');
        ok(defined json_of($r)->{error}, 'JSON error body');
        is(passes($v), 200, 'nothing stored: the token still passes');
    };
    bad_request('PUT: 405', 405,
                sub { $h->request(PUT => '/revoke', body => "sub=$vsub",
                                  type => 'application/x-www-form-urlencoded',
                                  token => $admin) }, [$v]);
    like($h->log_since($mark), qr/AH70027: jwt-revoke: bad request: /,
         'bad requests logged (AH70027)');
    unlike($h->log_since($mark), qr/AH70030/, 'and nothing was revoked');
}

# --- who may revoke ------------------------------------------------------
{
    my $exp = time + 600;
    my $v = tok(exp => $exp);
    my $vjti = claims_of($v)->{jti};
    my @f = (jti => $vjti, exp => $exp);
    my $r = $h->post_form('/revoke', \@f);
    is($r->code, 401, 'no token: 401');
    is(scalar $r->header('WWW-Authenticate'), www_none('ajwt'),
       'no token: a challenge without an error code');
    $r = $h->post_form('/revoke', \@f, token => $user);
    is($r->code, 401, 'non-admin: 401');
    like(scalar $r->header('WWW-Authenticate'), www_scope('ajwt'),
         'non-admin: insufficient_scope');
    $r = $h->post_form('/revoke403', \@f, token => $user);
    is($r->code, 403, 'non-admin, AuthzSendForbiddenOnFailure: 403');
    my $forged_admin = sign_raw('HS256', 'hs32', { alg => 'HS256' },
        { sub => "admin-$run", roles => ['admin'], exp => time + 600 });
    $r = $h->post_form('/revoke', \@f, token => $forged_admin);
    is($r->code, 401, 'forged admin token: 401');
    is(passes($v), 200, 'none of these stored anything');
    $r = $h->post_form('/revoke403', \@f, token => $admin);
    is($r->code, 200, 'admin: 200');
    is(passes($v), 401, 'and now it is revoked');
}

# --- a token that already expired: nothing to store -----------------------
{
    my $t = tok(iat => time - 1000, exp => time - 100);
    my $r = $h->post_form('/revoke', [token => $t], token => $admin);
    is($r->code, 200, 'expired token=: 200');
    ok(exists json_of($r)->{revoked} && !defined json_of($r)->{revoked},
       'answer: revoked null (already expired)') or diag($r->content);
}

unlike($h->log_since(0), qr/AH00052|Segmentation fault|exit signal/,
       'no child crashed');
$h->stop;
done_testing;
