# SPDX-License-Identifier: Apache-2.0
# Concurrent rotation of one refresh token on a private httpd (prefork,
# 8 children, shm store), as a stolen copy used at the same moment as the
# real one, or a browser page's parallel requests, would do:
# - N POSTs to jwt-refresh with the same refresh cookie, sent at once from
#   N processes (each connected first, then released together): exactly
#   one 200 with new tokens; the others 401 invalid_grant, without
#   Set-Cookie (the winner's cookies must stand) and without reuse
#   detection (no AH70050), repeated over several logins;
# - the family lives on: the winner's refresh token rotates;
# - the same with GETs from a browser: one 303 with new cookies, the
#   others 303 back to the page they came from, no cookie touched;
# - the winner's old token used again within AJWT_REFRESH_GRACE (10 s) of
#   its rotation: refused, family kept; used again after that window:
#   reuse (AH70050), the whole family revoked (its newest token refused).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Instance qw(login_conf users_file tokens_of);
use Crypt::JWT qw(decode_jwt);
use Crypt::PK::ECC;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON;

use constant RACERS => 8;
use constant ROUNDS => 5;
use constant GRACE  => 10;      # AJWT_REFRESH_GRACE, src/ajwt_issue.h

my $keys = AuthJWT::Instance::keys_dir();
my $pub = Crypt::PK::ECC->new("$keys/ec256.pub");

my $aux = tempdir('ajwt-race54-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $aux;
users_file("$aux/users", { alice => 'alice-pw' });

# t/56 runs this file again with another store (Redis)
our $RACE_STORE;
my $store = $RACE_STORE // 'shm';
my $h = AuthJWT::Instance->new(name => 'race54', children => RACERS,
    conf => "AuthJWTRevocationStore $store\n"
          . login_conf(users => "$aux/users", logout => 0));
$h->start;

sub cookies_of {
    my @sc = @_;
    my %c;
    for (@sc) {
        $c{$1} = $2 if /^([^=;\s]+)=([^;]*)/;
    }
    return \%c;
}
sub claims {
    my (undef, $c) = eval { decode_jwt(token => $_[0] // '', key => $pub,
                                       decode_header => 1) };
    return $c || {};
}
# a new login of alice: its refresh token
sub login { (tokens_of($h->login('alice', 'alice-pw')))[1] }
# One request on a fresh connection: (status, [Set-Cookie...], body).
sub parse {
    my $raw = shift;
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    my ($code) = ($head // '') =~ m{^HTTP/1\.\d (\d{3})};
    my @sc = ($head // '') =~ /^Set-Cookie: ([^\r\n]*)/mig;
    my ($loc) = ($head // '') =~ /^Location: ([^\r\n]*)/mi;
    return { code => $code // 0, cookies => cookies_of(@sc),
             n_cookies => scalar(@sc), location => $loc,
             json => scalar(eval { decode_json($body // '') }) };
}
sub request_text {
    my ($method, $path, $rt, @extra) = @_;
    return join("\r\n", "$method $path HTTP/1.0",
                "Host: 127.0.0.1:" . $h->port, "Cookie: jwt_refresh=$rt",
                "Content-Length: 0", @extra, '', '');
}
sub one {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $h->port, Timeout => 10)
        or return parse('');
    print $s request_text(@_);
    local $/;
    my $raw = <$s>;
    return parse($raw // '');
}

# N processes, each connected, all released at once by closing a pipe:
# one parsed answer each.
sub race {
    my ($method, $path, $rt, @extra) = @_;
    my $text = request_text($method, $path, $rt, @extra);
    pipe(my $gate_r, my $gate_w) or die "pipe: $!";
    my @kids;
    for my $i (1 .. RACERS) {
        pipe(my $out_r, my $out_w) or die "pipe: $!";
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            close $gate_w;
            close $out_r;
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                          PeerPort => $h->port,
                                          Timeout => 10);
            my $raw = '';
            <$gate_r>;                      # EOF: go
            if ($s) {
                print $s $text;
                local $/;
                $raw = <$s> // '';
            }
            print $out_w $raw;
            close $out_w;
            POSIX::_exit(0);
        }
        close $out_w;
        push @kids, [$pid, $out_r];
    }
    close $gate_r;
    select(undef, undef, undef, 0.3);       # let every child connect
    close $gate_w;
    my @res;
    for my $k (@kids) {
        my $fh = $k->[1];
        local $/;
        my $raw = <$fh>;
        waitpid $k->[0], 0;
        push @res, parse($raw // '');
    }
    return @res;
}
use POSIX ();

# ---------------------------------------------------- POST, several rounds
my ($exact, $quiet, $kept, $alive) = (0, 0, 0, 0);
my $mark = $h->log_mark;
my ($rt_won, $rt_next);
for my $round (1 .. ROUNDS) {
    my $rt = login();
    my @res = race(POST => '/auth/refresh', $rt);
    my @won = grep { $_->{code} == 200 } @res;
    my @lost = grep { $_->{code} == 401 } @res;
    if (@won == 1 && @lost == RACERS - 1) {
        $exact++;
    }
    else {
        diag("round $round: " . join(' ', map { $_->{code} } @res));
    }
    # losers: invalid_grant, no Set-Cookie at all (clearing the cookies
    # would undo the winner's)
    $quiet++ if @lost == grep {
        $_->{n_cookies} == 0 && ($_->{json} || {})->{error}
            && $_->{json}{error} eq 'invalid_grant' } @lost;
    next unless @won == 1;
    my $new = $won[0]{cookies}{jwt_refresh};
    $kept++ if $won[0]{json}{access_token}
        && claims($won[0]{json}{access_token})->{sub} eq 'alice'
        && claims($new)->{gen} == 2
        && claims($new)->{fam} eq claims($rt)->{fam};
    # the family lives on: the winner's token rotates
    my $r = one(POST => '/auth/refresh', $new);
    if ($r->{code} == 200) {
        $alive++;
        ($rt_won, $rt_next) = ($new, $r->{cookies}{jwt_refresh});
    }
}
is($exact, ROUNDS, RACERS . ' concurrent POSTs of one refresh token: '
                   . 'exactly one 200, ' . (RACERS - 1) . ' 401, each round');
is($quiet, ROUNDS, 'losers: invalid_grant, and no Set-Cookie');
is($kept, ROUNDS, "winner: a new access token and generation 2 of the "
                  . "same family");
is($alive, ROUNDS, "the winner's refresh token rotates after the race");
my $log = $h->log_since($mark);
unlike($log, qr/AH70050/, 'no reuse detected, no family revoked');
like($log, qr/AH70053: jwt-refresh: refused, rotated a moment ago by a concurrent request: refresh generation 1 /,
     'the losers are logged as such');

# ---------------------------------------------------- browser GETs
{
    my $rt = login();
    my @res = race(GET => '/auth/refresh?return=%2Fp', $rt,
                   'Accept: text/html');
    my @won = grep { $_->{code} == 303 && $_->{n_cookies} } @res;
    my @lost = grep { $_->{code} == 303 && !$_->{n_cookies} } @res;
    is(scalar(@won), 1, 'browser: one 303 that sets new cookies');
    ok(@won && $won[0]{cookies}{jwt} && $won[0]{cookies}{jwt_refresh}
       && claims($won[0]{cookies}{jwt_refresh})->{gen} == 2,
       '... the access cookie and generation 2');
    is(scalar(@lost), RACERS - 1,
       'browser: the others 303 without touching any cookie');
    is(scalar(grep { ($_->{location} // '') eq '/p' } @lost), RACERS - 1,
       '... back to the page they came from');
}

# ---------------------------------------------------- later uses
SKIP: {
    skip 'no winner to go on with', 6 unless $rt_won && $rt_next;
    $mark = $h->log_mark;
    my $r = one(POST => '/auth/refresh', $rt_won);
    is($r->{code}, 401, "the winner's token again within the grace: 401");
    unlike($h->log_since($mark), qr/AH70050/, '... not counted as reuse');
    is($r->{n_cookies}, 0, '... no cookie touched');
    sleep GRACE + 2;
    $mark = $h->log_mark;
    $r = one(POST => '/auth/refresh', $rt_won);
    is($r->{code}, 401, 'again after the grace: 401');
    like($h->log_since($mark), qr/AH70050: .*sub alice/,
         '... as reuse (AH70050)');
    is(one(POST => '/auth/refresh', $rt_next)->{code}, 401,
       '... the family revoked: its newest token refused too');
}

$h->stop;
done_testing();
