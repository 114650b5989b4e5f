# Workload W1 as a deSolve user would write it (see w1_scipy.py for the model and the
# course): lsoda, integrated piecewise between infusion starts and ends, for each patient
# of a ketsim --patients file (individual Vc and kel); type-7 percentiles (R's default).
# usage: Rscript w1_desolve.R PATIENTS.csv OUT.csv
# prints: "deSolve N_PATIENTS SECONDS"
suppressMessages(library(deSolve))
args <- commandArgs(trailingOnly = TRUE)
pats <- read.csv(args[1])
Q1 <- 84.3; VP1 <- 143; Q2 <- 37.6; VP2 <- 417; QH <- 151; VH <- 101; KMET <- 2.77
VCN <- 70; CLN <- 38; Q3 <- 26.1; VPN <- 115; KE0 <- log(2) / (6.1 / 60)
DOSE_H <- 24 * c(0, 2, 4, 7, 9, 11); INF_H <- 40 / 60
rhs <- function(t, a, p) {
  with(as.list(p), {
    c <- a[1]; p1 <- a[2]; p2 <- a[3]; h <- a[4]; nc <- a[5]; np <- a[6]; ce <- a[7]
    list(c(rate - (Q1 + Q2 + QH) / vc * c + Q1 / VP1 * p1 + Q2 / VP2 * p2 + QH / VH * h,
           Q1 / vc * c - Q1 / VP1 * p1,
           Q2 / vc * c - Q2 / VP2 * p2,
           QH / vc * c - (QH / VH + kel + KMET) * h,
           KMET * h - (CLN + Q3) / VCN * nc + Q3 / VPN * np,
           Q3 / VCN * nc - Q3 / VPN * np,
           KE0 * (c / vc - ce)))
  })
}
grid <- seq(0, 28 * 24, by = 0.25)
one <- function(vc, kel, weight) {
  events <- sort(unique(c(DOSE_H, DOSE_H + INF_H)))
  bounds <- c(0, events[events > 0 & events < max(grid)], max(grid))
  out <- matrix(0, length(grid), 3)
  a <- rep(0, 7)
  for (s in seq_len(length(bounds) - 1)) {
    t0 <- bounds[s]; t1 <- bounds[s + 1]
    on <- any(DOSE_H <= t0 & t0 < DOSE_H + INF_H)
    inside <- grid[grid > t0 & grid < t1]
    pts <- c(t0, inside, t1)
    sol <- lsoda(a, pts, rhs, c(vc = vc, kel = kel, rate = if (on) 0.5 * weight / INF_H else 0),
                 rtol = 1e-8, atol = 1e-10)
    keep <- match(round(grid, 9), round(pts, 9))
    idx <- which(!is.na(keep))
    rows <- sol[keep[idx], , drop = FALSE]
    out[idx, ] <- cbind(1000 * rows[, 2] / vc, 1000 * rows[, 6] / VCN, 1000 * rows[, 8])
    a <- sol[nrow(sol), 2:8]
  }
  out
}
t0 <- proc.time()[["elapsed"]]
vals <- array(0, c(nrow(pats), length(grid), 3))
for (i in seq_len(nrow(pats))) vals[i, , ] <- one(pats$Vc_L[i], pats$kel_1_h[i], pats$weight_kg[i])
q <- apply(vals, c(2, 3), quantile, probs = c(0.05, 0.5, 0.95), names = FALSE, type = 7)
secs <- proc.time()[["elapsed"]] - t0
names <- c("cp_esketamine_ng_ml", "cp_noresketamine_ng_ml", "ce_esketamine_ng_ml")
cols <- list(time_h = grid)
for (j in 1:3) for (k in 1:3) cols[[sprintf("%s_p%d", names[j], c(5, 50, 95)[k])]] <- q[k, , j]
write.csv(as.data.frame(cols), args[2], row.names = FALSE)
cat(sprintf("deSolve %d %.3f\n", nrow(pats), secs))
