"""Optimizers: update parameters from their gradients after `loss.backward()`.

Updates are computed on the raw arrays (`realize_cached_data()`), so a step never adds nodes
to the graph (memory stays flat however many steps run) and costs a few array kernels per
parameter, no Python graph bookkeeping; terms whose coefficient is 0 are skipped. Weight decay is an L2 term added to the
gradient before anything else, g = grad + weight_decay * theta (as in the course; not AdamW).
"""
import needle as ndl


class Optimizer:
    """Holds the parameters to update; subclasses implement `step`."""

    def __init__(self, params):
        self.params = list(params)
        for position, param in enumerate(self.params):
            if not isinstance(param, ndl.Tensor):
                raise TypeError(f"{type(self).__name__}: parameter {position} is a {type(param).__name__}, "
                                "not a needle Tensor (pass model.parameters())")

    def step(self):
        raise NotImplementedError()

    def reset_grad(self):
        """Forget every parameter's gradient, before the next backward pass."""
        for p in self.params:
            p.grad = None


class SGD(Optimizer):
    """Stochastic gradient descent with momentum as an exponential average:
        g = grad + weight_decay * theta
        u = momentum * u + (1 - momentum) * g       (u starts at 0)
        theta = theta - lr * u

    Example:
        >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.reset_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params, lr=0.01, momentum=0.0, weight_decay=0.0):
        super().__init__(params)
        self.lr = lr
        self.momentum = momentum
        self.u = {}
        self.weight_decay = weight_decay

    def step(self):
        ### BEGIN YOUR SOLUTION
        for p in self.params:
            if p.grad is None:
                continue  # a parameter the loss does not depend on
            theta = p.realize_cached_data()
            grad = p.grad.realize_cached_data()
            if self.weight_decay:
                grad = grad + self.weight_decay * theta
            u = grad
            if self.momentum:
                u = self.u.get(p)
                u = (1 - self.momentum) * grad if u is None else self.momentum * u + (1 - self.momentum) * grad
                self.u[p] = u
            _assign(p, theta - self.lr * u)
        ### END YOUR SOLUTION


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction; t counts the calls to `step`:
        g = grad + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g             v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)                   v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(self, params, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(params)
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay = weight_decay
        self.t = 0

        self.m = {}
        self.v = {}

    def step(self):
        ### BEGIN YOUR SOLUTION
        self.t += 1
        for p in self.params:
            if p.grad is None:
                continue
            theta = p.realize_cached_data()
            grad = p.grad.realize_cached_data()
            if self.weight_decay:
                grad = grad + self.weight_decay * theta
            m, v = self.m.get(p), self.v.get(p)
            m = (1 - self.beta1) * grad if m is None else self.beta1 * m + (1 - self.beta1) * grad
            v = (1 - self.beta2) * grad ** 2 if v is None else self.beta2 * v + (1 - self.beta2) * grad ** 2
            self.m[p], self.v[p] = m, v
            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            _assign(p, theta - self.lr * m_hat / (v_hat ** 0.5 + self.eps))
        ### END YOUR SOLUTION


def _assign(p, array):
    """Set a parameter's values to `array`, keeping the parameter's dtype (a float64 gradient
    must not turn a float32 parameter into float64)."""
    ### BEGIN YOUR SOLUTION
    if array.dtype != p.dtype:
        array = ndl.Tensor(array, device=p.device, dtype=p.dtype, requires_grad=False).realize_cached_data()
    p.cached_data = array
    ### END YOUR SOLUTION
